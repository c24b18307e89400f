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


JUDGING_ROLES = ["owner", "judge", "staff", "lead_author", "outsider"]


@pytest.mark.parametrize("sealed", [True, False])
@pytest.mark.parametrize("state", ["open", "judging", "awarded"])
def test_the_judging_pages_and_apis_show_a_sealed_entry_to_the_owner_only_once_the_phase_has_left_open(
    people, state, sealed, owner, staff, judge, ada, bob, client
):
    entry = entry_in(state, sealed=sealed, owner=owner, staff=staff, judge=judge, ada=ada, bob=bob)
    phase = entry.phase
    pages = {
        "dashboard": reverse("submissions:judge_phase", kwargs={"phase_pk": phase.pk}),
        "award": reverse("submissions:award", kwargs={"phase_pk": phase.pk}),
    }

    for role in JUDGING_ROLES:
        client.force_login(people[role])
        ranking = client.get(f"/api/v1/phases/{phase.pk}/ranking/")
        progress = client.get(f"/api/v1/phases/{phase.pk}/judging-progress/")
        responses = {name: client.get(url) for name, url in pages.items()}
        if role in ("lead_author", "outsider"):
            assert {ranking.status_code, progress.status_code} == {403}, (role, state)
            assert {r.status_code for r in responses.values()} == {403}, (role, state)
            continue
        sees = role != "owner" or not sealed or state != "open"
        assert [row["entry"] for row in ranking.json()["results"]] == ([entry.pk] if sees else []), (
            role,
            state,
            sealed,
        )
        assert [row["total"] for row in progress.json()] == [1 if sees else 0], (role, state, sealed)
        for name, response in responses.items():
            assert response.status_code == 200, (role, state, name)
            assert (entry.title in response.content.decode()) is sees, (role, state, sealed, name)
            assert ('data-testid="sealed"' in response.content.decode()) is not sees, (role, state, sealed, name)


def test_a_profile_shows_awards_only_from_challenges_the_viewer_may_read(owner, staff, judge, ada, outsider):
    from challenges.services import challenge_invite_member
    from community.portfolio import portfolio_for

    public = open_phase(owner, staff, judges=[judge], sealed=False, title="Open to all")
    private = open_phase(owner, staff, judges=[judge], sealed=False, invite_only=True, title="By invitation")
    challenge_invite_member(challenge=private.challenge, by=owner, email=ada.email)
    for phase in (public, private):
        entry = enter(phase, ada, title=f"Van for {phase.challenge.title}")
        to_judging(phase)
        award(phase, owner, (1, entry))

    def awards_seen_by(viewer):
        sections = {section.key: items for section, items in portfolio_for(member=ada, viewer=viewer)}
        return sorted(item.title for item in sections.get("awards", []))

    assert awards_seen_by(outsider) == ["Van for Open to all"]
    assert awards_seen_by(AnonymousUser()) == ["Van for Open to all"]
    assert awards_seen_by(ada) == ["Van for By invitation", "Van for Open to all"]
    assert awards_seen_by(staff) == ["Van for By invitation", "Van for Open to all"]
