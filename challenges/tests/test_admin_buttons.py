"""Staff move phases and cancel challenges with buttons on their pages: only the moves the lifecycle
table allows staff are offered, each asks for the reason it records, and the audit trail keeps it
with the challenge."""

import pytest
from django.urls import reverse

from challenges.models import Phase, PhaseStatus, PhaseTransition
from core.models import StaffAction
from tests.sign_in import sign_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client, staff):
    sign_in(client, staff)
    return client


def _button(phase, to):
    return reverse("admin:challenges_phase_object_action", args=[phase.pk, f"to-{to}"])


def test_a_phase_page_offers_only_the_moves_staff_may_make_from_its_status(staff_client, open_challenge):
    phase = open_challenge.phases.get()

    page = staff_client.get(reverse("admin:challenges_phase_change", args=[phase.pk])).content.decode()

    assert phase.status == PhaseStatus.SCHEDULED
    assert _button(phase, "open") in page
    assert _button(phase, "cancelled") in page
    assert _button(phase, "judging") not in page
    assert _button(phase, "closed") not in page
    assert 'name="_save"' not in page


def test_opening_a_phase_early_records_the_reason_with_the_move_and_in_the_trail(staff_client, open_challenge, staff):
    phase = open_challenge.phases.get()

    missing = staff_client.post(_button(phase, "open"), {"reason": ""})
    staff_client.post(_button(phase, "open"), {"reason": "The client asked to start on Monday"})

    assert "This field is required" in missing.content.decode()
    phase.refresh_from_db()
    assert phase.status == PhaseStatus.OPEN
    move = PhaseTransition.objects.get(phase=phase, to_status=PhaseStatus.OPEN)
    assert (move.actor, move.reason) == (staff, "The client asked to start on Monday")
    trail = StaffAction.objects.get(action="challenges.phase.to-open")
    assert (trail.challenge_id, trail.challenge_label) == (open_challenge.pk, open_challenge.title)
    assert (trail.value_before("status"), trail.value_after("status")) == ("scheduled", "open")


def test_a_move_the_table_forbids_is_refused_even_when_posted_directly(staff_client, open_challenge):
    phase = open_challenge.phases.get()

    response = staff_client.post(_button(phase, "closed"), {"reason": "Skip ahead"}, follow=True)

    assert "not possible for this object any more" in response.content.decode()
    assert Phase.objects.get(pk=phase.pk).status == PhaseStatus.SCHEDULED
    assert not StaffAction.objects.exists()
