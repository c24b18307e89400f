"""The prizes of all phases of a challenge never add up to more than its budget: whatever prize
tables are set, in whatever order, and however the budget is changed, each write either keeps
the rule or is refused and changes nothing."""

import threading
from decimal import Decimal

import pytest
from django.db import connection
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from challenges.models import Challenge, Prize
from challenges.selectors import challenge_prize_sum
from challenges.services import challenge_update, phase_prizes_set
from challenges.tests.factories import add_phase, make_challenge
from core.exceptions import ApplicationError
from tests.support import UserFactory

amounts = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("5000"), places=2, allow_nan=False)
prize_table = st.lists(amounts, max_size=5)
operation = st.one_of(
    st.tuples(st.just("prizes"), st.integers(min_value=0, max_value=2), prize_table),
    st.tuples(st.just("budget"), st.just(0), st.lists(amounts, min_size=1, max_size=1)),
)


def prize_rows(challenge: Challenge) -> list[tuple[int, int, Decimal]]:
    return sorted(Prize.objects.filter(phase__challenge=challenge).values_list("phase_id", "rank", "amount"))


class BudgetInvariantTest(TestCase):
    @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(
        budget=st.decimals(min_value=Decimal("1"), max_value=Decimal("12000"), places=2),
        ops=st.lists(operation, max_size=8),
    )
    def test_prizes_never_exceed_the_budget(self, budget: Decimal, ops: list) -> None:
        owner = UserFactory.create()
        challenge = make_challenge(owner, budget=str(budget))
        phases = [add_phase(challenge, kind=kind, prizes=()) for kind in ("concept", "front", "rear")]

        for kind, index, values in ops:
            before = (prize_rows(challenge), Challenge.objects.get(pk=challenge.pk).budget)
            current_budget = before[1]
            others = sum((a for pid, _r, a in before[0] if pid != phases[index].pk), Decimal(0))
            try:
                if kind == "prizes":
                    phase_prizes_set(phase=phases[index], by=owner, amounts=values)
                else:
                    challenge_update(challenge=challenge, by=owner, budget=values[0])
            except ApplicationError:
                # Refused exactly when the rule would break, and nothing changed.
                if kind == "prizes":
                    assert others + sum(values, Decimal(0)) > current_budget
                else:
                    assert values[0] < sum((a for _p, _r, a in before[0]), Decimal(0))
                assert (prize_rows(challenge), Challenge.objects.get(pk=challenge.pk).budget) == before
            else:
                if kind == "prizes":
                    assert [a for pid, _r, a in prize_rows(challenge) if pid == phases[index].pk] == values
            total = challenge_prize_sum(challenge_id=challenge.pk)
            assert total <= Challenge.objects.get(pk=challenge.pk).budget


@pytest.mark.django_db(transaction=True)
def test_prize_tables_written_at_once_still_fit_the_budget():
    """Ten writers, each within the budget alone, together more: the challenge lock lets only those that fit through."""
    owner = UserFactory.create()
    challenge = make_challenge(owner, budget="10000.00")
    phases = [add_phase(challenge, kind="other", title=f"Phase {n}", prizes=()) for n in range(10)]
    barrier = threading.Barrier(len(phases))
    outcomes: list[str] = []

    def write(phase) -> None:
        try:
            barrier.wait()
            phase_prizes_set(phase=phase, by=owner, amounts=[Decimal("3000.00")])
            outcomes.append("ok")
        except ApplicationError:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=write, args=(phase,)) for phase in phases]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert outcomes.count("ok") == 3
    assert outcomes.count("refused") == 7
    assert challenge_prize_sum(challenge_id=challenge.pk) == Decimal("9000.00")
