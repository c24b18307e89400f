"""Reputation: the formula, idempotent grants, rows that explain and recompute the score."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from community.models import ReputationEntry, ReputationReason, User
from community.services import reputation as formula
from community.services import reputation_grant, reputation_points, reputation_recompute, reputation_revoke
from core.exceptions import ApplicationError


@pytest.mark.parametrize(
    ("reason", "amount", "currency", "points"),
    [
        (ReputationReason.ENTRY, None, "", 2),
        (ReputationReason.VOTE, None, "", 1),
        (ReputationReason.FORK, None, "", 5),
        (ReputationReason.AWARD, Decimal("0"), "EUR", 25),
        (ReputationReason.AWARD, Decimal("99.99"), "EUR", 25),
        (ReputationReason.AWARD, Decimal("100"), "EUR", 26),
        (ReputationReason.AWARD, Decimal("2500.00"), "EUR", 50),
        (ReputationReason.AWARD, Decimal("2500.00"), "USD", 50),
        (ReputationReason.AWARD, Decimal("2500.00"), "GBP", 50),
        (ReputationReason.AWARD, Decimal("2500.00"), "CHF", 50),
        (ReputationReason.AWARD, Decimal("1000000"), "EUR", 500),
        (ReputationReason.ADJUSTMENT, Decimal("-7"), "", -7),
    ],
)
def test_the_formula(reason, amount, currency, points):
    assert reputation_points(reason=reason, amount=amount, currency=currency) == points


@pytest.mark.parametrize(
    ("amount", "currency", "points"),
    [
        (Decimal("100"), "JPY", 25),  # 100 yen are less than one euro, not a step of 100 euros
        (Decimal("15000"), "JPY", 26),
        (Decimal("375000"), "JPY", 50),
        (Decimal("1000"), "SEK", 26),
        (Decimal("1000"), "eur", 35),
        (Decimal("1000000"), "XYZ", 25),  # a currency the table does not know earns the base only
        (Decimal("1000000"), "", 25),
    ],
)
def test_award_points_are_weighted_by_currency(amount, currency, points):
    assert reputation_points(reason=ReputationReason.AWARD, amount=amount, currency=currency) == points


def test_the_award_grant_weighs_its_currency(ada, jonas):
    for member, currency in ((ada, "EUR"), (jonas, "JPY")):
        reputation_grant(user_id=member.pk, reason=ReputationReason.AWARD, source_key="award:1",
                         amount=Decimal("3000"), currency=currency)  # fmt: skip
    ada.refresh_from_db()
    jonas.refresh_from_db()
    assert (ada.reputation, jonas.reputation) == (55, 25)


@given(
    st.decimals(min_value=0, max_value=10**9, places=2),
    st.sampled_from([*formula.AWARD_UNITS_PER_POINT, "XYZ"]),
)
def test_bigger_awards_never_earn_less(amount, currency):
    less = reputation_points(reason=ReputationReason.AWARD, amount=amount, currency=currency)
    more = reputation_points(reason=ReputationReason.AWARD, amount=amount * 2 + 100, currency=currency)
    assert formula.AWARD_BASE_POINTS <= less <= more <= formula.AWARD_MAX_POINTS


def test_an_award_needs_its_amount_and_reasons_are_checked():
    with pytest.raises(ApplicationError):
        reputation_points(reason=ReputationReason.AWARD)
    with pytest.raises(ApplicationError):
        reputation_points(reason="bribe")


def test_a_grant_is_idempotent_per_source_and_the_score_is_the_sum_of_rows(ada):
    reputation_grant(
        user_id=ada.pk, reason=ReputationReason.AWARD, source_key="award:1", amount=Decimal("3000"), currency="EUR"
    )
    reputation_grant(
        user_id=ada.pk, reason=ReputationReason.AWARD, source_key="award:1", amount=Decimal("3000"), currency="EUR"
    )
    reputation_grant(user_id=ada.pk, reason=ReputationReason.VOTE, source_key="vote:1:2")
    ada.refresh_from_db()
    assert ada.reputation == 55 + 1
    assert ReputationEntry.objects.filter(user=ada).count() == 2
    assert reputation_revoke(user_id=ada.pk, source_key="vote:1:2") is True
    assert reputation_revoke(user_id=ada.pk, source_key="vote:1:2") is False
    ada.refresh_from_db()
    assert ada.reputation == 55


def test_recompute_repairs_a_drifted_score(ada):
    reputation_grant(user_id=ada.pk, reason=ReputationReason.FORK, source_key="fork:9")
    User.objects.filter(pk=ada.pk).update(reputation=999)
    assert reputation_recompute(user_id=ada.pk) == 5
    ada.refresh_from_db()
    assert ada.reputation == 5
