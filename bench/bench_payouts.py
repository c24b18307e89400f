"""How many payouts per second do two real Celery workers execute, and is any paid twice? Target: 0 duplicates.

Two worker processes (the project's settings, real PostgreSQL and Redis) execute N payouts through
the whole path: claim under a row lock, the provider call with the idempotency key, the ledger
write. The provider is the test suite's pretend bank (`payments.tests.fakebank`), which keeps its
state outside the database and counts every call, so a payout sent twice would show. Each payout's
task is delivered twice (as a broker may after a lost acknowledgement), to show the duplicates are
absorbed.

    .venv/bin/python scripts/test.py bench/bench_payouts.py -s -o python_files='bench_*.py'

BENCH_PAYOUTS (default 400), BENCH_WORKER_CONCURRENCY (default 2 per worker) size the run.
"""

import collections
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from django.db import transaction
from django.db.models import Count, Sum

from config.celery_routes import queues_arg
from conftest import ROOT, database_url_for_tests
from payments import tasks
from payments.models import Entry, LedgerTransaction, Payout, PayoutStatus, TransactionKind
from payments.tests import fakebank
from payments.tests.factories import bank_account, funded_challenge, prize
from tests.support import FAST_PASSWORD_HASHERS, UserFactory

PAYOUTS = int(os.environ.get("BENCH_PAYOUTS", "400"))
CONCURRENCY = int(os.environ.get("BENCH_WORKER_CONCURRENCY", "2"))
WORKERS = 2
MEMBERS = 40

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def bank(tmp_path: Path, settings, monkeypatch) -> Path:
    root = tmp_path / "fakebank"
    monkeypatch.setenv("FAKEBANK_DIR", str(root))
    settings.PAYMENTS_PAYOUT_PROVIDERS = {**settings.PAYMENTS_PAYOUT_PROVIDERS, fakebank.NAME: fakebank.PATH}
    settings.PAYMENTS_PAYOUT_PROVIDER = fakebank.NAME
    settings.PASSWORD_HASHERS = FAST_PASSWORD_HASHERS
    fakebank.bank_dir()
    return root


@pytest.fixture
def workers(bank: Path, tmp_path: Path) -> Iterator[Callable[[], list[subprocess.Popen[bytes]]]]:
    env = dict(
        os.environ,
        DATABASE_URL=database_url_for_tests(),
        DATABASE_CONN_MAX_AGE="60",
        FAKEBANK_DIR=str(bank),
        PAYMENTS_PAYOUT_PROVIDER=fakebank.NAME,
        PAYMENTS_EXTRA_PROVIDERS=f"{fakebank.NAME}={fakebank.PATH}",
    )
    started: list[subprocess.Popen[bytes]] = []

    def start() -> list[subprocess.Popen[bytes]]:
        for n in range(WORKERS):
            log = (tmp_path / f"bench-worker-{n}.log").open("wb")
            started.append(
                subprocess.Popen(
                    [
                        sys.executable,
                        "-m",
                        "celery",
                        "-A",
                        "config",
                        "worker",
                        "--loglevel",
                        "WARNING",
                        "--concurrency",
                        str(CONCURRENCY),
                        "--pool",
                        "prefork",
                        "--without-gossip",
                        "--without-mingle",
                        "-Q",
                        queues_arg(),
                        "-n",
                        f"bench-{n}-{os.getpid()}@%h",
                    ],
                    cwd=ROOT,
                    env=env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )  # fmt: skip
            )
        return started

    yield start
    for process in started:
        process.terminate()
    for process in started:
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def wait_for_workers(count: int, timeout: float = 60) -> None:
    from config.celery import app

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        replies = app.control.ping(timeout=1.0) or []
        if len([r for r in replies if any(name.startswith("bench-") for name in r)]) >= count:
            return
    raise AssertionError("the workers did not start")


def deliver(payout_id: int) -> Callable[[], None]:
    def send() -> None:
        tasks.payout_execute.delay(payout_id)

    return send


def test_payouts_per_second_with_two_workers_and_no_duplicates(bank, workers):
    owner, staff = UserFactory.create(), UserFactory.create(is_staff=True)
    amount = Decimal("10.00")
    challenge = funded_challenge(owner, staff=staff, budget=str(amount * PAYOUTS), prizes=(str(amount),))
    members = [UserFactory.create() for _ in range(MEMBERS)]
    for member in members:
        bank_account(member)
    workers()
    wait_for_workers(WORKERS)

    with transaction.atomic():  # one commit: every task reaches the broker at once
        payouts = [prize(challenge, members[n % MEMBERS], amount) for n in range(PAYOUTS)]
        for payout in payouts:  # each task delivered a second time
            transaction.on_commit(deliver(payout.pk))
        started = time.monotonic()  # the clock starts at the commit that releases the work
    enqueued = time.monotonic()
    deadline = started + 600
    while time.monotonic() < deadline:
        if Payout.objects.filter(status=PayoutStatus.PAID).count() == PAYOUTS:
            break
        time.sleep(0.2)
    finished = time.monotonic()

    paid = Payout.objects.filter(status=PayoutStatus.PAID).count()
    calls = collections.Counter(fakebank.calls(bank))
    duplicate_calls = sum(n - 1 for n in calls.values() if n > 1)
    bank_payments = len(fakebank.payments_made(bank))
    ledger = LedgerTransaction.objects.filter(kind=TransactionKind.PAYOUT)
    ledger_duplicates = ledger.values("idempotency_key").annotate(n=Count("pk")).filter(n__gt=1).count()
    duplicates = (bank_payments - paid) + ledger_duplicates + (ledger.count() - paid)
    unbalanced = Entry.objects.values("currency").annotate(total=Sum("amount")).exclude(total=0).count()
    seconds = finished - started
    print(f"\nPayouts with {WORKERS} workers (prefork, concurrency {CONCURRENCY} each), every task delivered twice")
    print(f"  payouts {PAYOUTS}, paid {paid}, in {seconds:.2f} s (enqueueing took {enqueued - started:.2f} s)")
    print(f"  {paid / seconds:.1f} payouts/second")
    print(f"  provider calls {sum(calls.values())} ({duplicate_calls} repeated for a key, absorbed by the key)")
    print(f"  duplicates (paid twice at the bank or in the ledger): {duplicates}   (target 0)")
    print(f"  currencies whose ledger does not sum to zero: {unbalanced}")

    assert paid == PAYOUTS
    assert duplicates == 0
    assert unbalanced == 0
