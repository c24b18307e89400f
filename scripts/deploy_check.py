"""`make deploy-check`: Django's deployment checks, as errors, under a production environment.

Runs `manage.py check --deploy --fail-level WARNING` with the variables of an environment file and
nothing else from the caller's shell (so a developer's DEBUG=1 cannot hide a warning; a local `.env`
still fills what the file leaves unset, as config/env.py always does). Needs no
running server: no check here opens a database, cache or S3 connection.

    python scripts/deploy_check.py                   # deploy/production.env.example, blanks filled
    python scripts/deploy_check.py /etc/coachworks.env   # a real environment, taken as it is

The example file leaves the secrets blank; for it alone this fills SECRET_KEY with a fresh random key
and the bank account with a test one, so what is checked is the example's settings, not its blanks.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "deploy" / "production.env.example"
# A valid account at Deutsche Bank Berlin, used only to check the example; never a real escrow account.
TEST_BANK_ACCOUNT = {"PAYMENTS_BANK_IBAN": "DE65100700000123456789", "PAYMENTS_BANK_BIC": "DEUTDEBBXXX"}
COMMAND = ["manage.py", "check", "--deploy", "--fail-level", "WARNING"]


def read_env_file(path: Path) -> dict[str, str]:
    """`KEY=value` lines; blank lines and `#` comments skipped; one pair of surrounding quotes removed."""
    values = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, value = line.split("=", 1)
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":  # noqa: PLR2004
            value = value[1:-1]
        values[key.strip().removeprefix("export ")] = value
    return values


def production_environment(path: Path) -> dict[str, str]:
    values = read_env_file(path)
    if path.resolve() == EXAMPLE.resolve():
        if not values.get("SECRET_KEY"):
            values["SECRET_KEY"] = secrets.token_urlsafe(64)
        for key, value in TEST_BANK_ACCOUNT.items():
            if not values.get(key):
                values[key] = value
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "DJANGO_SETTINGS_MODULE": "config.settings",
        **values,
    }


def main(argv: list[str]) -> int:
    path = Path(argv[0]) if argv else EXAMPLE
    print(f"make deploy-check: {' '.join(COMMAND[1:])} with the environment of {path}", flush=True)
    result = subprocess.run([sys.executable, *COMMAND], cwd=ROOT, env=production_environment(path), check=False)  # noqa: S603
    return result.returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
