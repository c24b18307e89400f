"""Who may do what, endpoint by endpoint: anonymous visitors, a member, the owner, another client,
the challenge's judge and staff. A challenge one may not read is a 404 (its existence stays
private); one readable but not writable is a 403, and so is a move this role may not make; a move
the state forbids is a 409; an anonymous write is a 401 (not signed in)."""

import re
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client

from challenges.models import Challenge, ChallengeInvitation, JudgeAssignment, Phase
from challenges.services import challenge_invite_member, judge_invite
from challenges.tests.factories import add_phase, make_challenge

pytestmark = pytest.mark.django_db

ROLES = ["anonymous", "member", "owner", "other_client", "judge", "staff"]


@dataclass
class World:
    users: dict[str, Any]
    challenge: Challenge
    phase: Phase
    draft: Challenge
    draft_phase: Phase
    assignment: JudgeAssignment
    invitation: ChallengeInvitation

    def client_for(self, role: str) -> Client:
        client = Client()
        if role != "anonymous":
            client.force_login(self.users[role])
        return client


@pytest.fixture
def world(open_challenge, owner, other_client, judge, staff, member) -> World:
    draft = make_challenge(owner, title="Secret draft")
    draft_phase = add_phase(draft)
    judge_invite(challenge=draft, by=owner, email=judge.email)  # invited judges may read the draft
    return World(
        users={"member": member, "owner": owner, "other_client": other_client, "judge": judge, "staff": staff},
        challenge=open_challenge,
        phase=open_challenge.phases.get(),
        draft=draft,
        draft_phase=draft_phase,
        assignment=open_challenge.judge_assignments.get(),
        invitation=challenge_invite_member(challenge=open_challenge, by=owner, email="someone@example.com"),
    )


def request(world: World, role: str, method: str, url: str, data: Any = None):
    client = world.client_for(role)
    return (
        getattr(client, method)(url, data=data, content_type="application/json")
        if data is not None
        else getattr(client, method)(url)
    )


def expect(anonymous, member, owner, other_client, judge, staff) -> dict[str, int]:
    return dict(zip(ROLES, (anonymous, member, owner, other_client, judge, staff), strict=True))


# (name, method, url template, body, expected status per role)
API_CASES = [
    ("list challenges", "get", "/api/v1/challenges/", None, expect(200, 200, 200, 200, 200, 200)),
    ("create challenge", "post", "/api/v1/challenges/",
     {"title": "New", "summary": "S", "vehicle_type": "car", "budget": "100.00"}, expect(401, 201, 201, 201, 201, 201)),
    ("read challenge", "get", "/api/v1/challenges/{c}/", None, expect(200, 200, 200, 200, 200, 200)),
    ("read draft", "get", "/api/v1/challenges/{d}/", None, expect(404, 404, 200, 404, 200, 200)),
    ("edit challenge", "patch", "/api/v1/challenges/{c}/", {"summary": "Changed", "change_note": "Typo"},
     expect(401, 403, 200, 403, 403, 200)),
    ("edit draft", "patch", "/api/v1/challenges/{d}/", {"summary": "Changed"}, expect(401, 404, 200, 404, 403, 200)),
    ("challenge history", "get", "/api/v1/challenges/{c}/transitions/", None, expect(200, 200, 200, 200, 200, 200)),
    ("submit draft", "post", "/api/v1/challenges/{d}/transitions/", {"to": "funding"},
     expect(401, 404, 200, 404, 403, 200)),
    ("cancel open challenge", "post", "/api/v1/challenges/{c}/transitions/", {"to": "cancelled"},
     expect(401, 403, 403, 403, 403, 200)),
    ("list phases", "get", "/api/v1/challenges/{c}/phases/", None, expect(200, 200, 200, 200, 200, 200)),
    ("add phase", "post", "/api/v1/challenges/{c}/phases/",
     {"kind": "front", "title": "Front", "opens_at": "2031-01-01T10:00:00Z", "closes_at": "2031-02-01T10:00:00Z",
      "judging_ends_at": "2031-03-01T10:00:00Z", "prizes": ["100.00"]}, expect(401, 403, 201, 403, 403, 201)),
    ("read phase", "get", "/api/v1/phases/{p}/", None, expect(200, 200, 200, 200, 200, 200)),
    ("read draft phase", "get", "/api/v1/phases/{dp}/", None, expect(404, 404, 200, 404, 200, 200)),
    ("edit phase", "patch", "/api/v1/phases/{p}/", {"title": "Renamed"}, expect(401, 403, 200, 403, 403, 200)),
    ("delete draft phase", "delete", "/api/v1/phases/{dp}/", None, expect(401, 404, 204, 404, 403, 204)),
    ("delete published phase", "delete", "/api/v1/phases/{p}/", None, expect(401, 403, 409, 403, 403, 409)),
    ("phase history", "get", "/api/v1/phases/{p}/transitions/", None, expect(200, 200, 200, 200, 200, 200)),
    ("open phase early", "post", "/api/v1/phases/{p}/transitions/", {"to": "open"},
     expect(401, 403, 200, 403, 403, 200)),
    ("read prizes", "get", "/api/v1/phases/{p}/prizes/", None, expect(200, 200, 200, 200, 200, 200)),
    ("set prizes", "put", "/api/v1/phases/{p}/prizes/", {"amounts": ["700.00", "300.00"]},
     expect(401, 403, 200, 403, 403, 200)),
    ("read criteria", "get", "/api/v1/phases/{p}/criteria/", None, expect(200, 200, 200, 200, 200, 200)),
    ("set criteria", "put", "/api/v1/phases/{p}/criteria/", {"criteria": [{"name": "Aero", "weight": 2}]},
     expect(401, 403, 200, 403, 403, 200)),
    ("list judges", "get", "/api/v1/challenges/{c}/judges/", None, expect(200, 200, 200, 200, 200, 200)),
    ("invite judge", "post", "/api/v1/challenges/{c}/judges/", {"email": "new-judge@example.com"},
     expect(401, 403, 201, 403, 403, 201)),
    ("read assignment", "get", "/api/v1/judge-assignments/{a}/", None, expect(401, 404, 200, 404, 200, 200)),
    ("withdraw assignment", "delete", "/api/v1/judge-assignments/{a}/", None, expect(401, 404, 204, 404, 403, 204)),
    ("respond to invitation", "post", "/api/v1/judge-assignments/{a}/respond/", {"accept": False},
     expect(401, 404, 403, 404, 200, 403)),
    ("declare conflicts", "post", "/api/v1/judge-assignments/{a}/conflicts/", {"has_conflict": False},
     expect(401, 404, 403, 404, 200, 403)),
    ("list invitations", "get", "/api/v1/challenges/{c}/invitations/", None, expect(401, 403, 200, 403, 403, 200)),
    ("invite member", "post", "/api/v1/challenges/{c}/invitations/", {"email": "guest@example.com"},
     expect(401, 403, 201, 403, 403, 201)),
    ("withdraw invitation", "delete", "/api/v1/challenges/{c}/invitations/{i}/", None,
     expect(401, 403, 204, 403, 403, 204)),
    ("list transitions", "get", "/api/v1/transitions/", None, expect(200, 200, 200, 200, 200, 200)),
]  # fmt: skip


def url_of(world: World, template: str) -> str:
    return template.format(
        c=world.challenge.pk,
        d=world.draft.pk,
        p=world.phase.pk,
        dp=world.draft_phase.pk,
        a=world.assignment.pk,
        i=world.invitation.pk,
    )


@pytest.mark.parametrize(
    ("name", "method", "template", "body", "role", "status"),
    [(name, method, url, body, role, codes[role]) for name, method, url, body, codes in API_CASES for role in ROLES],
    ids=[f"{name}-{role}" for name, *_rest, codes in API_CASES for role in ROLES],
)
def test_api_permissions(world, name, method, template, body, role, status):
    response = request(world, role, method, url_of(world, template), body)

    assert response.status_code == status, response.content[:500]


def test_every_api_route_of_the_app_is_in_the_permission_table():
    from challenges.api_urls import urlpatterns

    tested = {(method, re.sub(r"\{\w+\}", "{}", template)) for _n, method, template, _b, _c in API_CASES}
    for pattern in urlpatterns:
        route = "/api/v1/" + re.sub(r"<[^>]+>", "{}", str(pattern.pattern))
        view = pattern.callback.view_class  # type: ignore[attr-defined]
        for method in ("get", "post", "patch", "put", "delete"):
            if hasattr(view, method):
                assert (method, route) in tested, f"{method.upper()} {route} has no permission cases"


def test_the_public_sees_accepted_judges_only_and_no_addresses(world):
    judge_invite(challenge=world.challenge, by=world.users["owner"], email="pending@example.com")

    public = world.client_for("member").get(f"/api/v1/challenges/{world.challenge.pk}/judges/").json()["results"]
    own = world.client_for("owner").get(f"/api/v1/challenges/{world.challenge.pk}/judges/").json()["results"]

    assert [j["judge"]["name"] for j in public] == ["Judge"]
    assert "email" not in public[0]
    assert sorted(j["email"] for j in own) == ["judge@example.com", "pending@example.com"]


def test_invite_only_challenges_are_read_only_by_invited_members(world, member, owner, other_client):
    invite_only = make_challenge(owner, title="Invite only", invite_only=True)
    add_phase(invite_only)
    from challenges.tests.factories import publish

    publish(invite_only, staff=world.users["staff"])
    challenge_invite_member(challenge=invite_only, by=owner, email=member.email.upper())
    url = f"/api/v1/challenges/{invite_only.pk}/"

    assert world.client_for("anonymous").get(url).status_code == 404
    assert world.client_for("other_client").get(url).status_code == 404
    assert world.client_for("member").get(url).status_code == 200
    listed = world.client_for("member").get("/api/v1/challenges/").json()["results"]
    assert invite_only.pk in [c["id"] for c in listed]
    listed = world.client_for("other_client").get("/api/v1/challenges/").json()["results"]
    assert invite_only.pk not in [c["id"] for c in listed]
    assert world.client_for("anonymous").get(f"/challenges/{invite_only.slug}/").status_code == 404


# Pages: (name, method, url template, expected status per role); 302 is the sign-in redirect.
PAGE_CASES = [
    ("list", "get", "/challenges/", expect(200, 200, 200, 200, 200, 200)),
    ("detail", "get", "/challenges/{slug}/", expect(200, 200, 200, 200, 200, 200)),
    ("draft detail", "get", "/challenges/{dslug}/", expect(404, 404, 200, 404, 200, 200)),
    ("new", "get", "/challenges/new/", expect(302, 200, 200, 200, 200, 200)),
    ("dashboard", "get", "/challenges/dashboard/", expect(302, 200, 200, 200, 200, 200)),
    ("edit brief", "get", "/challenges/{slug}/edit/brief/", expect(302, 403, 200, 403, 403, 200)),
    ("edit phases", "get", "/challenges/{slug}/edit/phases/", expect(302, 403, 200, 403, 403, 200)),
    ("edit phase", "get", "/challenges/{slug}/edit/phases/{p}/", expect(302, 403, 200, 403, 403, 200)),
    ("edit judges", "get", "/challenges/{slug}/edit/judges/", expect(302, 403, 200, 403, 403, 200)),
    ("review draft", "get", "/challenges/{dslug}/edit/review/", expect(302, 404, 200, 404, 403, 200)),
    ("delete draft phase", "post", "/challenges/{dslug}/edit/phases/{dp}/delete/",
     expect(302, 404, 302, 404, 403, 302)),
    ("withdraw judge", "post", "/challenges/{slug}/edit/judges/{a}/remove/", expect(302, 403, 302, 403, 403, 302)),
    ("withdraw invitation", "post", "/challenges/{slug}/edit/invitations/{i}/remove/",
     expect(302, 403, 302, 403, 403, 302)),
    ("take back from funding", "post", "/challenges/{dslug}/withdraw/", expect(302, 404, 302, 404, 403, 302)),
    ("cancel", "post", "/challenges/{dslug}/cancel/", expect(302, 404, 302, 404, 403, 302)),
    ("move phase", "post", "/challenges/{slug}/phases/{p}/move/", expect(302, 403, 302, 403, 302, 302)),
    # Whoever holds the link sees what it invites to; only the judge is offered Accept.
    ("judge invitation", "get", "/challenges/invitations/{token}/", expect(302, 200, 200, 200, 200, 200)),
    ("declare conflicts", "get", "/challenges/judging/{a}/conflicts/", expect(302, 404, 404, 404, 200, 404)),
]  # fmt: skip


@pytest.mark.parametrize(
    ("name", "method", "template", "role", "status"),
    [(name, method, url, role, codes[role]) for name, method, url, codes in PAGE_CASES for role in ROLES],
    ids=[f"{name}-{role}" for name, _m, _u, codes in PAGE_CASES for role in ROLES],
)
def test_page_permissions(world, name, method, template, role, status):
    url = template.format(
        slug=world.challenge.slug,
        dslug=world.draft.slug,
        p=world.phase.pk,
        dp=world.draft_phase.pk,
        a=world.assignment.pk,
        i=world.invitation.pk,
        token=world.assignment.token,
    )
    client = world.client_for(role)
    response = client.post(url, {"to": "open"}) if method == "post" else client.get(url)

    assert response.status_code == status
    if status == 302 and role == "anonymous":
        assert response["Location"].startswith("/accounts/login/")
