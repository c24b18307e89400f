from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "Core"

    def ready(self) -> None:
        from core import caching, checks  # noqa: F401 - checks registers the production-safety system checks

        caching.connect_signals()
