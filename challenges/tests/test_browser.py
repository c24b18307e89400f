"""A client posts a two-phase challenge in headless Chromium and sees it listed."""

from datetime import timedelta

import pytest
from django.utils import timezone

from challenges.models import Challenge, ChallengeStatus, JudgeAssignment, Phase
from challenges.services import challenge_mark_funded
from challenges.tests.factories import FUNDED_TASK
from conftest import sign_in
from core.actors import Actor
from tests.accounts import confirm_account
from tests.support import PASSWORD, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def local(days: int, hour: int = 10) -> str:
    moment = timezone.localtime(timezone.now() + timedelta(days=days))
    return moment.replace(hour=hour, minute=0).strftime("%Y-%m-%dT%H:%M")


def fill_phase(page, *, kind: str, title: str, start: int, prizes: list[str], criterion: str) -> None:
    page.select_option("#id_kind", kind)
    page.fill("#id_title", title)
    page.fill("#id_opens_at", local(start))
    page.fill("#id_closes_at", local(start + 14))
    page.fill("#id_judging_ends_at", local(start + 21))
    for index, amount in enumerate(prizes):
        page.fill(f"#id_prizes-{index}-amount", amount)
    page.fill("#id_criteria-0-name", criterion)
    page.fill("#id_criteria-0-weight", "3")


def test_a_client_posts_a_two_phase_challenge_and_sees_it_listed(page, enqueued):
    client = UserFactory.create(email="client@example.com", display_name="Alpine Logistics")
    staff = UserFactory.create(email="staff@example.com", is_staff=True)
    confirm_account(client)
    sign_in(page, client.email, PASSWORD)

    page.goto("/challenges/")
    page.click("text=Post a challenge")
    page.fill("#id_title", "Alpine delivery van")
    page.fill("#id_summary", "An electric van for mountain villages.")
    page.select_option("#id_vehicle_type", "van")
    page.select_option("#id_terrain", "mountain")
    page.fill("#id_region", "Graubünden")
    page.fill("#id_description", "Climbs **12 %** in snow.")
    page.fill("#id_budget", "12000")
    page.select_option("#id_currency", "CHF")
    page.click("button:has-text('Save and continue')")
    page.wait_for_url("**/edit/phases/")

    # A prize table over the budget is refused with a clear error; nothing is added.
    fill_phase(page, kind="concept", title="Concept", start=2, prizes=["9000", "4000"], criterion="Fit for snow")
    page.click("button:has-text('Add phase')")
    assert "more than the budget" in page.inner_text("[data-testid=phase-form]")
    fill_phase(page, kind="concept", title="Concept", start=2, prizes=["5000", "2000"], criterion="Fit for snow")
    page.click("button:has-text('Add phase')")
    page.wait_for_selector("text=Phase “Concept” added.")

    fill_phase(page, kind="front", title="Front and cab", start=30, prizes=["3000"], criterion="Aerodynamics")
    page.get_by_label("1. Concept").check()
    page.click("button:has-text('Add phase')")
    page.wait_for_selector("text=Phase “Front and cab” added.")
    assert page.locator("[data-testid=phase]").count() == 2

    page.click("text=Continue: judges")
    page.fill("#id_judges-emails", "mira@example.com")
    page.click("button:has-text('Invite judges')")
    page.wait_for_selector("text=Invited: mira@example.com")
    page.click("text=Continue: review")
    assert page.locator("[data-testid=problems]").count() == 0
    page.click("button:has-text('Submit for funding')")
    page.wait_for_url("**/challenges/dashboard/")

    listed = page.inner_text("[data-testid=my-challenges]")
    assert "Alpine delivery van" in listed
    assert "Funding" in listed
    challenge = Challenge.objects.get()
    assert challenge.status == ChallengeStatus.FUNDING
    assert list(Phase.objects.filter(challenge=challenge).values_list("title", flat=True)) == [
        "Concept",
        "Front and cab",
    ]
    assert JudgeAssignment.objects.get().email == "mira@example.com"

    challenge_mark_funded(challenge=challenge, actor=Actor.system(FUNDED_TASK, on_behalf_of=staff))  # as payments does
    page.goto("/challenges/")
    assert "Alpine delivery van" in page.inner_text("[data-testid=challenge-list]")
    page.click("text=Alpine delivery van")
    assert page.inner_text("[data-testid=challenge-status]") == "Open"
    assert page.locator("[data-testid=description] strong").inner_text() == "12 %"
    assert page.locator(".timeline-row").count() == 2
