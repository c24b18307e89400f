from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DossiersConfig(AppConfig):
    name = "dossiers"
    verbose_name = _("Vehicle dossiers")

    def ready(self) -> None:
        from dossiers import receivers  # noqa: F401 - a new dossier version on every award
