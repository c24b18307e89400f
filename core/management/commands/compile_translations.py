"""Compile every `locale/*/LC_MESSAGES/*.po` into `.mo` with polib (no GNU gettext needed)."""

from pathlib import Path
from typing import Any

import polib
from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Compile the translation catalogues (.po → .mo) without GNU gettext."

    def handle(self, *args: Any, **options: Any) -> None:
        compiled = 0
        root = str(settings.BASE_DIR)
        locale_paths = [Path(path) for path in settings.LOCALE_PATHS]
        locale_paths += [Path(app.path) / "locale" for app in apps.get_app_configs() if app.path.startswith(root)]
        for locale_path in locale_paths:
            for po_path in sorted(Path(locale_path).glob("*/LC_MESSAGES/*.po")):
                mo_path = po_path.with_suffix(".mo")
                if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
                    continue
                polib.pofile(str(po_path)).save_as_mofile(str(mo_path))
                compiled += 1
        self.stdout.write(f"Compiled {compiled} translation catalogue(s).")
