"""`python -m payments.tests.racer PAYOUT_ID GO_FILE`: wait for GO_FILE, execute the payout once,
print the outcome. The concurrency test starts several of these processes at once."""

import os
import sys
import time
from pathlib import Path

import django


def main(payout_id: int, go: Path) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    django.setup()
    from django.db import connection

    from core.actors import Actor
    from payments.services import payout_execute

    connection.ensure_connection()
    deadline = time.monotonic() + 30
    while not go.exists() and time.monotonic() < deadline:
        time.sleep(0.001)
    print(payout_execute(payout_id=payout_id, actor=Actor.system("racer")).outcome)  # noqa: T201


if __name__ == "__main__":
    main(int(sys.argv[1]), Path(sys.argv[2]))
