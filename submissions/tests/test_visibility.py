"""Sealing: who sees an entry, as a table over roles, phase states and the challenge's sealing.

The same selector serves pages and the API, so the API and pages are checked against it here too."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.urls import reverse

from submissions import services
from submissions.selectors import entries_visible_to, entry_can_view
from submissions.tests.factories import award, enter, open_phase, to_judging

pytestmark = pytest.mark.django_db

ROLES = ["anonymous", "outsider", "lead_author", "co_author", "judge", "owner", "staff"]
INSIDERS = {"lead_author", "co_author", "judge", "staff"}


@pytest.fixture
def people(owner, staff, judge, ada, bob, outsider):
    return {
        "anonymous": AnonymousUser(),
        "outsider": outsider,
        "lead_author": ada,
        "co_author": bob,
        "judge": judge,
        "owner": owner,
        "staff": staff,
    }


def entry_in(state, *, sealed, owner, staff, judge, ada, bob):
    phase = open_phase(owner, staff, judges=[judge], sealed=sealed)
    entry = enter(phase, ada, co_authors=[(bob, "40")])
    if state in ("judging", "awarded"):
        to_judging(phase)
    if state == "awarded":
        award(phase, owner, (1, entry))
    return entry


@pytest.mark.parametrize("sealed", [True, False])
@pytest.mark.parametrize("state", ["open", "judging", "awarded"])
def test_who_sees_a_submitted_entry(people, state, sealed, owner, staff, judge, ada, bob, client):
    entry = entry_in(state, sealed=sealed, owner=owner, staff=staff, judge=judge, ada=ada, bob=bob)

    for role in ROLES:
        expected = role in INSIDERS or not sealed or state != "open"
        user = people[role]
        assert entry_can_view(user, entry) is expected, (role, state, sealed)
        assert entries_visible_to(user).filter(pk=entry.pk).exists() is expected
        if role == "anonymous":
            client.logout()
        else:
            client.force_login(user)
        page = client.get(reverse("submissions:detail", kwargs={"pk": entry.pk}))
        api = client.get(f"/api/v1/entries/{entry.pk}/")
        listed = client.get("/api/v1/entries/", {"phase": entry.phase_id}).json()["results"]
        assert (page.status_code, api.status_code) == ((200, 200) if expected else (404, 404)), (role, state)
        assert [row["id"] for row in listed] == ([entry.pk] if expected else [])


def test_withdrawn_and_draft_entries_are_seen_only_by_their_authors_and_staff(people, owner, staff, judge, ada, bob):
    phase = open_phase(owner, staff, judges=[judge], sealed=False)
    withdrawn = enter(phase, ada, co_authors=[(bob, "40")])
    services.entry_withdraw(entry=withdrawn, user=ada)
    draft = enter(phase, ada, submit=False)

    for entry in (withdrawn, draft):
        seen_by = {role for role in ROLES if entry_can_view(people[role], entry)}
        expected = {"lead_author", "staff"} | ({"co_author"} if entry == withdrawn else set())
        assert seen_by == expected


def test_entries_of_an_invite_only_challenge_stay_with_those_invited(owner, staff, judge, ada, outsider):
    phase = open_phase(owner, staff, judges=[judge], sealed=False, invite_only=True)
    from challenges.services import challenge_invite_member

    challenge_invite_member(challenge=phase.challenge, by=owner, email=ada.email)
    entry = enter(phase, ada)

    assert not entry_can_view(outsider, entry)
    assert entry_can_view(judge, entry)
