"""Real Celery worker processes pay: a worker killed with SIGKILL in the middle of a payout (before
the provider call, or between the provider call and the ledger write) loses nothing and pays nothing
twice. Its task is gone with it (Redis plus kill -9, celery#3541); the sweep finds the payout in
the database and a new worker finishes it."""

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.db.models import Sum

from config.celery_routes import queues_arg
from conftest import ROOT, database_url_for_tests
from payments import tasks
from payments.models import Entry, LedgerTransaction, Payout, PayoutStatus, TransactionKind
from payments.tests import fakebank
from payments.tests.factories import bank_account, funded_challenge, prize
from tests.support import UserFactory

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

STALE_SECONDS = 2


@pytest.fixture
def start_worker(bank: Path, tmp_path: Path, settings) -> Iterator[Callable[[], subprocess.Popen[bytes]]]:
    """Start real worker processes (each its own process group, so a test can kill it whole)."""
    settings.PAYMENTS_STALE_CLAIM_SECONDS = STALE_SECONDS
    started: list[subprocess.Popen[bytes]] = []
    env = dict(
        os.environ,
        DATABASE_URL=database_url_for_tests(),
        DATABASE_CONN_MAX_AGE="0",
        FAKEBANK_DIR=str(bank),
        PAYMENTS_PAYOUT_PROVIDER=fakebank.NAME,
        PAYMENTS_EXTRA_PROVIDERS=f"{fakebank.NAME}={fakebank.PATH}",
        PAYMENTS_STALE_CLAIM_SECONDS=str(STALE_SECONDS),
    )

    def start() -> subprocess.Popen[bytes]:
        log = (tmp_path / f"worker-{len(started)}.log").open("wb")
        process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", "worker", "--loglevel", "INFO", "--concurrency", "2",
             "--pool", "prefork", "--without-gossip", "--without-mingle", "-Q", queues_arg(),
             "-n", f"payments-{os.getpid()}-{time.monotonic_ns()}@%h"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        started.append(process)
        return process

    yield start
    for process in started:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def wait_for(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def assert_ledger_balances() -> None:
    for row in Entry.objects.values("currency").annotate(total=Sum("amount")):
        assert row["total"] == 0, row


@pytest.mark.parametrize("point", ["before", "after"])
def test_a_worker_killed_mid_payout_is_replaced_and_the_payout_is_paid_exactly_once(start_worker, bank, point):
    owner, staff, winner = UserFactory.create(), UserFactory.create(is_staff=True), UserFactory.create()
    challenge = funded_challenge(owner, staff=staff)
    bank_account(winner)
    (bank / f"crash-{point}").write_text("")
    first = start_worker()

    payout = prize(challenge, winner, "1234.56")  # committed: the task goes to the broker

    wait_for(lambda: (bank / f"reached-{point}").exists(), 60, f"the worker to reach the crash point {point!r}")
    os.killpg(first.pid, signal.SIGKILL)
    first.wait()
    assert Payout.objects.get(pk=payout.pk).status == PayoutStatus.PROCESSING  # claimed, never finished
    assert fakebank.payments_made(bank) == ([payout.idempotency_key] if point == "after" else [])

    start_worker()
    time.sleep(STALE_SECONDS + 0.5)
    tasks.sweep.delay()  # what beat does every PAYMENTS_SWEEP_SECONDS
    wait_for(lambda: Payout.objects.get(pk=payout.pk).status == PayoutStatus.PAID, 60, "the payout to be paid")

    assert fakebank.payments_made(bank) == [payout.idempotency_key]
    assert fakebank.calls(bank) == [payout.idempotency_key] * 2
    paid = LedgerTransaction.objects.filter(kind=TransactionKind.PAYOUT)
    assert paid.count() == 1
    assert paid.get().entries.get(amount__lt=0).amount == Decimal("-1234.56")
    assert_ledger_balances()


def test_workers_pay_a_batch_of_payouts_each_once(start_worker, bank):
    owner, staff = UserFactory.create(), UserFactory.create(is_staff=True)
    challenge = funded_challenge(owner, staff=staff, budget="10000.00")
    winners = [UserFactory.create() for _ in range(5)]
    for winner in winners:
        bank_account(winner)
    start_worker()
    start_worker()

    payouts = [prize(challenge, winner, "100.00") for winner in winners for _ in range(2)]

    wait_for(
        lambda: Payout.objects.filter(status=PayoutStatus.PAID).count() == len(payouts), 60, "every payout to be paid"
    )
    assert sorted(fakebank.calls(bank)) == sorted(p.idempotency_key for p in payouts)
    assert LedgerTransaction.objects.filter(kind=TransactionKind.PAYOUT).count() == len(payouts)
    assert_ledger_balances()
    assert settings.CELERY_TASK_ACKS_LATE
