import importlib
import importlib.util

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DossiersConfig(AppConfig):
    name = "dossiers"
    verbose_name = _("Vehicle dossiers")

    def ready(self) -> None:
        from dossiers import panels, receivers

        receivers.connect()  # a new dossier version on every award and on completion
        panels.register()
        # Parts of the app that other helpers bring; each is optional until it lands.
        for module in ("dossiers.assembly", "dossiers.second_generation"):
            if importlib.util.find_spec(module) is not None:
                imported = importlib.import_module(module)
                register_panels = getattr(imported, "register_panels", None)
                if module == "dossiers.second_generation" and callable(register_panels):
                    register_panels()
