from django.apps import AppConfig


class BlueprintsConfig(AppConfig):
    name = "blueprints"

    def ready(self) -> None:
        from blueprints import community_events  # noqa: F401 - community targets, notifications, reputation
