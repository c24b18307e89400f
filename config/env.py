"""The one place that reads the environment.

Every setting that differs between development, tests and production comes from here, so
production differs by environment variables only. README lists every variable.
"""

from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
# A local `.env` is optional and never required: `make run` passes everything it needs.
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)
