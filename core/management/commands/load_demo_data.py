"""Load the demo data of every app that has a `demo` module, in INSTALLED_APPS order.

Each app's `demo.load(out)` must be idempotent: running the command twice adds nothing twice.
An app whose demo data is about the other apps' (the community's discussions) also defines
`demo.finish(out)`, called once every app has loaded.
"""

import importlib
from typing import Any

from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import transaction


class Command(BaseCommand):
    help = "Create demo accounts and content (idempotent)."

    def handle(self, *args: Any, **options: Any) -> None:
        modules = []
        for app_config in apps.get_app_configs():
            try:
                modules.append(importlib.import_module(f"{app_config.name}.demo"))
            except ModuleNotFoundError as error:
                if error.name != f"{app_config.name}.demo":
                    raise
        for demo in modules:
            with transaction.atomic():
                demo.load(self.stdout)
        for demo in modules:
            if hasattr(demo, "finish"):
                with transaction.atomic():
                    demo.finish(self.stdout)
