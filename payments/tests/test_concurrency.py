"""Several processes executing the same payouts at once: one provider call and one ledger
transaction per payout. Real processes, each with its own database connection (committed data)."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import ROOT, database_url_for_tests
from payments.models import LedgerTransaction, Payout, PayoutStatus, TransactionKind
from payments.tests import fakebank
from payments.tests.factories import bank_account, funded_challenge, prize
from tests.support import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

PROCESSES = 6


def race(payout_ids: list[int], workdir: Path, bank: Path) -> list[str]:
    env = dict(
        os.environ,
        DATABASE_URL=database_url_for_tests(),
        DATABASE_CONN_MAX_AGE="0",
        FAKEBANK_DIR=str(bank),
        PAYMENTS_PAYOUT_PROVIDER=fakebank.NAME,
        PAYMENTS_EXTRA_PROVIDERS=f"{fakebank.NAME}={fakebank.PATH}",
    )
    go = workdir / "go"
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "payments.tests.racer", str(pk), str(go)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )  # fmt: skip
        for pk in payout_ids
        for _ in range(PROCESSES)
    ]
    time.sleep(3)  # every process connected and waiting
    go.write_text("go")
    outcomes = []
    for process in processes:
        out, err = process.communicate(timeout=60)
        assert process.returncode == 0, err
        outcomes.append(out.strip())
    return outcomes


def test_processes_executing_the_same_payout_at_once_pay_it_once(tmp_path, bank):
    owner, staff = UserFactory.create(), UserFactory.create(is_staff=True)
    challenge = funded_challenge(owner, staff=staff)
    winners = [UserFactory.create() for _ in range(3)]
    payouts = []
    for winner in winners:
        bank_account(winner)
        payouts.append(prize(challenge, winner, "100.00"))

    outcomes = race([p.pk for p in payouts], tmp_path, bank)

    assert outcomes.count("paid") == len(payouts)
    assert set(outcomes) <= {"paid", "busy", "done"}
    assert sorted(fakebank.calls(bank)) == sorted(p.idempotency_key for p in payouts)  # one call each
    assert fakebank.payments_made(bank) == sorted(p.idempotency_key for p in payouts)
    assert LedgerTransaction.objects.filter(kind=TransactionKind.PAYOUT).count() == len(payouts)
    assert set(Payout.objects.values_list("status", flat=True)) == {PayoutStatus.PAID}
