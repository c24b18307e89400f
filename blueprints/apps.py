from django.apps import AppConfig


class BlueprintsConfig(AppConfig):
    name = "blueprints"

    def ready(self) -> None:
        from blueprints import community_events  # noqa: F401 - community targets, notifications, reputation
        from blueprints.storage import upload_cors_ensure
        from core.s3 import bucket_setup_register

        # Browsers upload straight to the bucket: allow the site's origins (`manage.py ensure_buckets`).
        bucket_setup_register(
            "Upload CORS rules",
            lambda: "set" if upload_cors_ensure() else "not supported by this store (it allows all origins)",
        )
