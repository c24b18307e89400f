"""Awards become payables: when the judging app announces a phase awarded, every share of every
award (lead author, co-authors, lineage credits) moves from escrow to its recipient exactly once,
even when the announcement arrives twice or never."""

from decimal import Decimal

import pytest
from django.db.models import Sum

from payments.models import Entry as LedgerEntry
from payments.models import LedgerTransaction, Payout, PayoutKind, TransactionKind
from payments.receivers import on_phase_awarded
from payments.services import (
    account_balance,
    award_payables_create,
    award_share_key,
    award_shares_sweep,
    escrow_account,
    paid_phases_close_sweep,
    payable_account,
    payout_execute,
)
from payments.tests.factories import bank_account, receive
from submissions.models import AwardShare
from submissions.tests.factories import award, enter, fork_of, open_phase, published_blueprint, to_judging
from tests.support import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def awarded(owner, staff, django_capture_on_commit_callbacks):
    """A funded challenge (escrow 50,000) whose phase is awarded: rank 1 to an entry with a co-author
    built on a fork (lineage credit), rank 2 to a lone author."""
    judge = UserFactory.create(display_name="Judge")
    phase = open_phase(owner, staff, judges=[judge], prizes=("3000", "1500"), lineage_percent=20)
    receive(phase.challenge, "50000.00", staff=staff)
    ancestor_author, lead, co_author, second = (
        UserFactory.create(display_name=n) for n in ("Anc", "Lead", "Co", "Two")
    )
    original = published_blueprint(ancestor_author, "Original van")
    first = enter(phase, lead, blueprint=fork_of(original, lead, "Forked van"), co_authors=[(co_author, "30")])
    runner_up = enter(phase, second)
    to_judging(phase)
    with django_capture_on_commit_callbacks(execute=True):
        awards = award(phase, judge, (1, first), (2, runner_up))
    return phase, awards


def test_every_share_of_every_award_becomes_a_payable_of_its_recipient(awarded):
    phase, awards = awarded
    shares = list(AwardShare.objects.filter(award__in=awards))

    assert {share.kind for share in shares} == {"author", "co_author", "lineage"}
    payouts = Payout.objects.filter(kind=PayoutKind.AWARD)
    assert payouts.count() == len(shares)
    for share in shares:
        payout = payouts.get(payable_transaction__idempotency_key=award_share_key(share.pk))
        assert (payout.recipient_id, payout.amount) == (share.recipient_id, share.amount)
        assert account_balance(payable_account(user=share.recipient, currency="EUR")) >= share.amount
    assert account_balance(escrow_account(challenge=phase.challenge)) == Decimal("50000.00") - Decimal("4500.00")


def test_an_announcement_delivered_twice_moves_nothing_twice(awarded):
    phase, awards = awarded
    before = LedgerEntry.objects.aggregate(total=Sum("amount"), n=Sum(1))

    on_phase_awarded(None, phase_id=phase.pk, challenge_id=phase.challenge_id, award_ids=[a.pk for a in awards])
    award_payables_create(award_id=awards[0].pk)

    assert LedgerEntry.objects.aggregate(total=Sum("amount"), n=Sum(1)) == before
    assert LedgerTransaction.objects.filter(kind=TransactionKind.AWARD).count() == AwardShare.objects.count()


def test_the_sweep_moves_awards_whose_announcement_was_lost(owner, staff):
    judge = UserFactory.create()
    phase = open_phase(owner, staff, judges=[judge], prizes=("1000",))
    receive(phase.challenge, "50000.00", staff=staff)
    winner = UserFactory.create()
    entry = enter(phase, winner)
    to_judging(phase)
    award(phase, judge, (1, entry))  # on-commit work never runs here: the announcement is lost

    assert not Payout.objects.exists()
    assert award_shares_sweep() == 1
    assert award_shares_sweep() == 0
    assert Payout.objects.get().amount == Decimal("1000.00")


def test_an_award_the_escrow_cannot_cover_moves_nothing(owner, staff):
    judge = UserFactory.create()
    phase = open_phase(owner, staff, judges=[judge], prizes=("1000",))  # opened by staff without money
    entry = enter(phase, UserFactory.create())
    to_judging(phase)
    (created,) = award(phase, judge, (1, entry))

    from payments.services import InsufficientFunds

    with pytest.raises(InsufficientFunds):
        award_payables_create(award_id=created.pk)
    assert not LedgerTransaction.objects.filter(kind=TransactionKind.AWARD).exists()


def test_once_every_prize_is_paid_the_phase_closes_and_the_rest_of_the_escrow_returns(
    bank, awarded, owner, django_capture_on_commit_callbacks
):
    phase, _awards = awarded
    payouts = list(Payout.objects.filter(kind=PayoutKind.AWARD).select_related("recipient"))
    for payout in payouts:
        bank_account(payout.recipient)

    with django_capture_on_commit_callbacks(execute=True):
        for payout in payouts[:-1]:
            payout_execute(payout_id=payout.pk)
    phase.refresh_from_db()
    assert phase.status == "awarded"  # one prize is still unpaid

    with django_capture_on_commit_callbacks(execute=True):
        payout_execute(payout_id=payouts[-1].pk)

    phase.refresh_from_db()
    assert phase.status == "closed"
    assert phase.challenge.status == "completed"
    refund = Payout.objects.get(kind=PayoutKind.REFUND)
    assert (refund.recipient, refund.amount) == (owner, Decimal("50000.00") - Decimal("4500.00"))
    assert account_balance(escrow_account(challenge=phase.challenge)) == 0


def test_a_paid_phase_whose_close_was_lost_is_closed_by_the_sweep_and_one_still_owed_is_not(bank, awarded):
    # The last payout's close runs after its commit; a worker killed right then (or a deadlock in the
    # close) loses it. Here no on-commit callback runs at all: only the sweep can close the phase.
    phase, _awards = awarded
    payouts = list(Payout.objects.filter(kind=PayoutKind.AWARD).select_related("recipient"))
    for payout in payouts:
        bank_account(payout.recipient)
    for payout in payouts[:-1]:
        payout_execute(payout_id=payout.pk)

    assert paid_phases_close_sweep() == 0  # one prize is still unpaid
    phase.refresh_from_db()
    assert phase.status == "awarded"

    payout_execute(payout_id=payouts[-1].pk)
    phase.refresh_from_db()
    assert phase.status == "awarded"  # its close was lost

    assert paid_phases_close_sweep() == 1
    assert paid_phases_close_sweep() == 0
    phase.refresh_from_db()
    assert phase.status == "closed"
    assert phase.challenge.status == "completed"
    assert list(phase.transitions.filter(to_status="closed").values_list("task", flat=True)) == ["payments.phase_paid"]
