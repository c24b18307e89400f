"""Posting a challenge in four steps (brief, phases, judges, review) with the test client: every
step checks its input on the server, explains what is wrong and saves nothing wrong."""

from collections.abc import Sequence
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from challenges.models import BriefVersion, Challenge, ChallengeStatus, JudgeAssignment, Phase
from challenges.tests.factories import publish

pytestmark = pytest.mark.django_db

BRIEF = {
    "title": "Alpine delivery van",
    "summary": "Deliveries to mountain villages.",
    "vehicle_type": "van",
    "terrain": "mountain",
    "climate": "alpine",
    "region": "Valais",
    "duties": "Parcels, 40 stops a day",
    "payload_kg": "1200",
    "description": "It snows.",
    "budget": "10000",
    "currency": "CHF",
    "sealed_entries": "on",
}


def local(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


def phase_post(
    kind: str, title: str, days: int, prizes: list[str], depends_on: Sequence[int] = (), **extra: str
) -> dict:
    now = timezone.now()
    data: dict[str, str | list[str]] = {
        "kind": kind,
        "title": title,
        "brief": "",
        "opens_at": local(now + timedelta(days=days)),
        "closes_at": local(now + timedelta(days=days + 10)),
        "judging_ends_at": local(now + timedelta(days=days + 14)),
        "entry_limit": "1",
        "prizes-TOTAL_FORMS": "3",
        "prizes-INITIAL_FORMS": "0",
        "criteria-TOTAL_FORMS": "3",
        "criteria-INITIAL_FORMS": "0",
        "criteria-0-name": "Design",
        "criteria-0-weight": "2",
        "criteria-1-weight": "1",
        "criteria-2-weight": "1",
    }
    for index, amount in enumerate(prizes):
        data[f"prizes-{index}-amount"] = amount
    if depends_on:
        data["depends_on"] = [str(pk) for pk in depends_on]
    data.update(extra)
    return data


def test_a_client_posts_a_challenge_step_by_step(client, owner, staff):
    client.force_login(owner)

    # Step 1: the brief. A missing title is explained and nothing is saved.
    refused = client.post(reverse("challenges:new"), {**BRIEF, "title": ""})
    assert refused.status_code == 200
    assert "title" in refused.context["form"].errors
    assert not Challenge.objects.exists()
    response = client.post(reverse("challenges:new"), BRIEF)
    challenge = Challenge.objects.get()
    assert response["Location"] == reverse("challenges:edit_phases", args=[challenge.slug])
    assert (challenge.owner, challenge.status, challenge.currency) == (owner, ChallengeStatus.DRAFT, "CHF")

    # Step 2: phases. Dates out of order and prizes over the budget are refused with reasons.
    phases_url = reverse("challenges:edit_phases", args=[challenge.slug])
    backwards = phase_post("concept", "Concept", 1, ["5000"])
    backwards["closes_at"] = backwards["opens_at"]
    refused = client.post(phases_url, backwards)
    assert "Must be after the opening time." in refused.context["form"].errors["closes_at"]
    refused = client.post(phases_url, phase_post("concept", "Concept", 1, ["8000", "3000"]))
    assert "more than the budget" in str(refused.context["prizes"].non_form_errors())
    assert not Phase.objects.exists()
    client.post(phases_url, phase_post("concept", "Concept", 1, ["5000", "2000"]))
    concept = Phase.objects.get()
    assert [str(p.amount) for p in concept.prizes.all()] == ["5000.00", "2000.00"]
    assert [(c.name, c.weight) for c in concept.criteria.all()] == [("Design", 2)]
    client.post(phases_url, phase_post("front", "Front", 30, ["2500"], depends_on=[concept.pk]))
    front = Phase.objects.get(kind="front")
    assert list(front.depends_on.all()) == [concept]
    assert client.post(phases_url, phase_post("rear", "Rear", 30, ["1000"])).status_code == 200  # 10500 > 10000

    # Step 3: judges by e-mail.
    judges_url = reverse("challenges:edit_judges", args=[challenge.slug])
    refused = client.post(judges_url, {"which": "judges", "judges-emails": "not-an-address"})
    assert "Not an e-mail address" in str(refused.context["judges_form"].errors)
    client.post(judges_url, {"which": "judges", "judges-emails": "Mira@Example.com, rolf@example.com"})
    assert sorted(JudgeAssignment.objects.values_list("email", flat=True)) == ["mira@example.com", "rolf@example.com"]

    # Step 4: review and submit for funding.
    review_url = reverse("challenges:review", args=[challenge.slug])
    assert client.get(review_url).context["problems"] == []
    response = client.post(review_url)
    assert response["Location"] == reverse("challenges:dashboard")
    challenge.refresh_from_db()
    assert challenge.status == ChallengeStatus.FUNDING
    assert "Alpine delivery van" in client.get(reverse("challenges:dashboard")).content.decode()


def test_review_says_what_stops_the_submission(client, owner):
    client.force_login(owner)
    client.post(reverse("challenges:new"), BRIEF)
    challenge = Challenge.objects.get()

    review = client.get(reverse("challenges:review", args=[challenge.slug]))
    client.post(reverse("challenges:review", args=[challenge.slug]))

    assert review.context["problems"] == ["Add at least one phase with at least one prize."]
    challenge.refresh_from_db()
    assert challenge.status == ChallengeStatus.DRAFT


def test_a_published_brief_changes_only_with_a_note_and_keeps_every_version(client, owner, staff, draft):
    publish(draft, staff=staff)
    client.force_login(owner)
    url = reverse("challenges:edit_brief", args=[draft.slug])
    form = client.get(url).context["form"]
    data = {name: value for name, value in form.initial.items() if value is not None and name != "cover_image"}
    data.update({"summary": "Now also for Niger.", "budget": "10000.00", "sealed_entries": "on"})
    data.pop("invite_only", None)

    refused = client.post(url, data)
    assert "Say what changed" in str(refused.context["form"].errors)
    client.post(url, {**data, "change_note": "Added Niger"})

    draft.refresh_from_db()
    assert (draft.summary, draft.brief_version) == ("Now also for Niger.", 2)
    versions = list(BriefVersion.objects.filter(challenge=draft).order_by("number"))
    assert [(v.number, v.change_note) for v in versions] == [(1, ""), (2, "Added Niger")]
    assert versions[0].brief["summary"] == "A 4x4 ambulance for the Sahel."
    assert "Added Niger" in client.get(draft.get_absolute_url()).content.decode()


def test_the_budget_is_fixed_once_submitted(client, owner, draft):
    from challenges.services import challenge_submit_for_funding, challenge_update
    from core.exceptions import ApplicationError

    challenge_submit_for_funding(challenge=draft, by=owner)

    with pytest.raises(ApplicationError):
        challenge_update(challenge=draft, by=owner, budget="99999")


def test_a_cover_image_is_stored_in_s3_and_shown(client, owner):
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (40, 20), "orange").save(buffer, "PNG")
    client.force_login(owner)
    client.post(
        reverse("challenges:new"),
        {**BRIEF, "cover_image": SimpleUploadedFile("van.png", buffer.getvalue(), "image/png")},
    )

    challenge = Challenge.objects.get()
    assert challenge.cover_image.name.startswith("challenges/covers/")
    assert challenge.cover_image.storage.exists(challenge.cover_image.name)
    assert "X-Amz-Signature" in client.get(challenge.get_absolute_url()).content.decode()
