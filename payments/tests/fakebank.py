"""A payout provider for tests: a pretend bank outside the database under test.

It keeps its state in a directory (`FAKEBANK_DIR`), so several processes (workers, racing test
processes) share one bank, as they would share a real provider. Like a real provider it pays each
idempotency key once (an exclusive file create) and answers later requests for the key with the
first result. Every call is logged, so tests can count provider calls.

Failure injection, through files in the directory:
- `fail-next`: holds a number; that many calls raise a transient `ProviderError`.
- `crash-before` / `crash-after`: the next call stops before (or after) paying, writes
  `reached-before` / `reached-after` and sleeps, for a test to kill its worker with SIGKILL.
"""

import os
import time
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from payments.providers.base import Destination, PayoutRequest, ProviderError, ProviderResult, ProviderState
from payments.providers.sepa import SEPA_FIELDS, sepa_destination

NAME = "fakebank"
PATH = "payments.tests.fakebank.FakeBank"


def bank_dir() -> Path:
    path = Path(os.environ["FAKEBANK_DIR"])
    (path / "paid").mkdir(parents=True, exist_ok=True)
    return path


def _take(flag: Path) -> bool:
    """Consume a one-shot flag file; only one process gets it."""
    try:
        flag.rename(flag.with_name(flag.name + f".taken-{uuid.uuid4().hex}"))
    except FileNotFoundError:
        return False
    return True


def _crash_point(root: Path, point: str) -> None:
    if _take(root / f"crash-{point}"):
        (root / f"reached-{point}").write_text(str(os.getpid()))
        time.sleep(120)  # the test kills this process now


class FakeBank:
    """Pays SEPA bank accounts, as the manual provider's members have (`PAYMENTS_PAYOUT_PROVIDER`)."""

    code = NAME
    label = "Fake bank"
    destination_fields = SEPA_FIELDS

    def clean_destination(self, destination: Mapping[str, Any]) -> Destination:
        return sepa_destination(destination)

    def pay(self, request: PayoutRequest) -> ProviderResult:
        root = bank_dir()
        with (root / "calls.log").open("a") as log:
            log.write(f"{request.idempotency_key} {request.amount} {request.currency} {os.getpid()}\n")
        fail = root / "fail-next"
        if fail.exists():
            left = int(fail.read_text() or 0)
            if left > 0:
                fail.write_text(str(left - 1))
                raise ProviderError("The bank is not answering (injected).")
        _crash_point(root, "before")
        paid = root / "paid" / request.idempotency_key
        try:
            descriptor = os.open(paid, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
        except FileExistsError:
            return ProviderResult(ProviderState.PAID, reference=paid.read_text().split()[0])
        reference = f"fb-{uuid.uuid4().hex[:12]}"
        os.write(descriptor, f"{reference} {request.amount} {request.currency} {request.destination['iban']}".encode())
        os.close(descriptor)
        _crash_point(root, "after")
        return ProviderResult(ProviderState.PAID, reference=reference)

    def lookup(self, idempotency_key: str) -> ProviderResult:
        paid = bank_dir() / "paid" / idempotency_key
        if paid.exists():
            return ProviderResult(ProviderState.PAID, reference=paid.read_text().split()[0])
        return ProviderResult(ProviderState.UNKNOWN)


def calls(root: Path | None = None) -> list[str]:
    log = (root or bank_dir()) / "calls.log"
    return [line.split()[0] for line in log.read_text().splitlines()] if log.exists() else []


def payments_made(root: Path | None = None) -> list[str]:
    return sorted(path.name for path in ((root or bank_dir()) / "paid").iterdir())
