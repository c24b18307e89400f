"""Invitations bind to confirmed addresses only (issue 13, finding 1).

The attack: someone signs up with the address a judge or invite-only invitation was sent to and
never confirms it (they cannot: they do not read that mailbox). Before issue 13 such an account was
matched by `email__iexact`: it could accept the judge invitation through the API, then read the
invite-only challenge and its sealed entries. Each test performs that attack and shows it refused,
and shows that whoever does read the mailbox (and so confirms the address, as primary or as a second
address) gets in.

The API calls authenticate with `force_authenticate`, so they test the invitation rules themselves,
whatever the sign-in rules say (since issue 13 those refuse an unconfirmed account as well:
`test_the_api_refuses_the_unconfirmed_account_whichever_way_it_signs_in`).
"""

import re
from typing import Any

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from challenges.models import Challenge, JudgeAssignment, JudgeStatus, Phase
from challenges.selectors import challenges_visible_to, dashboard_for
from challenges.services import challenge_invite_member, judge_declare_conflicts, judge_invite, judge_respond
from challenges.tests.factories import add_phase, make_challenge
from community.models import Notification, User
from core.exceptions import ApplicationError, NotAllowed
from submissions.models import Entry
from submissions.selectors import entries_visible_to
from submissions.tests.factories import enter, open_phase
from tests.support import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

INVITED = "judge.to.be@example.com"


# --- How the attacker and the real invitee act ----------------------------------------------------


def sign_up(email: str, display_name: str = "Eve") -> User:
    """Sign up through allauth's form, as anyone can; the confirmation link goes to `email`'s mailbox."""
    response = Client().post(
        reverse("account_signup"),
        {
            "email": email,
            "password1": PASSWORD,
            "password2": PASSWORD,
            "display_name": display_name,
            "country": "DE",
            "experience": "enthusiast",
        },
    )
    assert response.status_code == 302, response.content[:500]
    user = User.objects.get(email__iexact=email)
    assert not EmailAddress.objects.filter(user=user, verified=True).exists()
    return user


def click_confirmation_link(email: str) -> None:
    """What only the person who reads `email`'s mailbox can do: open the link allauth sent there."""
    message = [m for m in mail.outbox if email.lower() in [to.lower() for to in m.to]][-1]
    match = re.search(r"https?://[^/\s]+(/\S+)", str(message.body))
    assert match, message.body
    Client().post(match.group(1))
    assert EmailAddress.objects.filter(email__iexact=email, verified=True).exists()


def api(user: User) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def browser(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def respond(user: User, assignment: JudgeAssignment, accept: bool = True) -> Any:
    return api(user).post(f"/api/v1/judge-assignments/{assignment.pk}/respond/", {"accept": accept}, format="json")


def listed_ids(user: User) -> list[int]:
    response = api(user).get("/api/v1/challenges/")
    assert response.status_code == 200
    return [row["id"] for row in response.json()["results"]]


def sees_challenge(user: User, challenge: Challenge) -> dict[str, bool]:
    """Whether `user` reads the challenge, asked of every way in: selector, list and detail API, pages."""
    client = browser(user)
    return {
        "selector": challenges_visible_to(user).filter(pk=challenge.pk).exists(),
        "api list": challenge.pk in listed_ids(user),
        "api detail": api(user).get(f"/api/v1/challenges/{challenge.pk}/").status_code == 200,
        "page list": challenge.title in client.get(reverse("challenges:list")).content.decode(),
        "page detail": client.get(challenge.get_absolute_url()).status_code == 200,
    }


def everywhere(value: bool) -> dict[str, bool]:
    return dict.fromkeys(["selector", "api list", "api detail", "page list", "page detail"], value)


# --- The world: an invite-only, sealed challenge with an entry and a judge invited by e-mail -------


@pytest.fixture
def entrant(db: None) -> User:
    return UserFactory.create(email="entrant@example.com", display_name="Entrant")


@pytest.fixture
def sealed_phase(owner: User, staff: User, entrant: User) -> Phase:
    phase = open_phase(owner, staff, sealed=True, invite_only=True, title="Secret snow plough")
    challenge_invite_member(challenge=phase.challenge, by=owner, email=entrant.email)
    enter(phase, entrant, title="Sealed entry")
    return phase


def sees_sealed_entries(user: User, phase: Phase) -> dict[str, bool]:
    entry = Entry.objects.get(phase=phase)
    listed = api(user).get(f"/api/v1/entries/?phase={phase.pk}")
    return {
        "selector": entries_visible_to(user).filter(pk=entry.pk).exists(),
        "api list": listed.status_code == 200 and entry.pk in [row["id"] for row in listed.json()["results"]],
        "api detail": api(user).get(f"/api/v1/entries/{entry.pk}/").status_code == 200,
    }


# --- Judge invitations --------------------------------------------------------------------------


@pytest.mark.parametrize("signed_up", ["before the invitation", "after the invitation"])
def test_an_address_typed_in_at_sign_up_binds_no_judge_invitation(
    signed_up, owner, draft, enqueued, django_capture_on_commit_callbacks
):
    """Attack: sign up with the invited judge's address (before or after the invitation is sent).
    The account is not bound as the judge, not told about the invitation, not shown it on its dashboard."""
    eve = sign_up(INVITED) if signed_up == "before the invitation" else None
    with django_capture_on_commit_callbacks(execute=True):
        assignment = judge_invite(challenge=draft, by=owner, email=INVITED)
    eve = eve or sign_up(INVITED)

    assignment.refresh_from_db()
    assert assignment.judge is None
    assert not Notification.objects.filter(recipient=eve, kind="judge_invited").exists()
    assert dashboard_for(user=eve).judging == []
    assert challenges_visible_to(eve).filter(pk=draft.pk).exists() is False


def test_the_unconfirmed_account_cannot_accept_the_judge_invitation_through_the_api(owner, sealed_phase):
    """Attack (a): the account signed up with the invited address accepts through the API: 403, nothing changes."""
    assignment = judge_invite(challenge=sealed_phase.challenge, by=owner, email=INVITED)
    eve = sign_up(INVITED)

    refused = respond(eve, assignment)

    assert refused.status_code == 403
    assert "not confirmed" in refused.json()["message"]
    assignment.refresh_from_db()
    assert (assignment.status, assignment.judge) == (JudgeStatus.INVITED, None)
    with pytest.raises(NotAllowed):
        judge_respond(assignment=assignment, user=eve, accept=True)


def test_the_unconfirmed_account_does_not_see_the_invite_only_challenge(owner, sealed_phase):
    """Attack (b): the invite-only challenge the judge was invited to stays hidden from the account
    signed up with the judge's address: not in the list or detail API, not in the pages."""
    judge_invite(challenge=sealed_phase.challenge, by=owner, email=INVITED)
    eve = sign_up(INVITED)

    assert sees_challenge(eve, sealed_phase.challenge) == everywhere(False)


def test_the_unconfirmed_account_cannot_read_the_sealed_entries(owner, sealed_phase):
    """Attack (c): after trying to accept, the account signed up with the judge's address reads no
    sealed entry of the challenge (selector, list and detail API, gallery page)."""
    assignment = judge_invite(challenge=sealed_phase.challenge, by=owner, email=INVITED)
    eve = sign_up(INVITED)
    respond(eve, assignment)

    assert sees_sealed_entries(eve, sealed_phase) == {"selector": False, "api list": False, "api detail": False}
    gallery = browser(eve).get(reverse("submissions:gallery", kwargs={"phase_pk": sealed_phase.pk}))
    assert "Sealed entry" not in gallery.content.decode()


def test_once_the_address_is_confirmed_the_same_account_accepts_and_judges(owner, sealed_phase):
    """The person who reads the mailbox confirms the address and then accepts; only then do they
    read the challenge, and, once accepted with conflicts declared, its sealed entries."""
    assignment = judge_invite(challenge=sealed_phase.challenge, by=owner, email=INVITED)
    grace = sign_up(INVITED, display_name="Grace")
    assert respond(grace, assignment).status_code == 403

    click_confirmation_link(INVITED)

    assert sees_challenge(grace, sealed_phase.challenge) == everywhere(True)  # invited: may read to decide
    accepted = respond(grace, assignment)
    assert accepted.status_code == 200, accepted.json()
    assert accepted.json()["status"] == JudgeStatus.ACCEPTED
    judge_declare_conflicts(assignment=assignment, user=grace, has_conflict=False)
    assert sees_sealed_entries(grace, sealed_phase) == {"selector": True, "api list": True, "api detail": True}


def test_the_api_refuses_the_unconfirmed_account_whichever_way_it_signs_in(owner, sealed_phase):
    """Attack (a) with a real session: whichever check comes first, the answer is a refusal."""
    assignment = judge_invite(challenge=sealed_phase.challenge, by=owner, email=INVITED)
    eve = sign_up(INVITED)

    refused = browser(eve).post(
        f"/api/v1/judge-assignments/{assignment.pk}/respond/", {"accept": True}, content_type="application/json"
    )

    assert refused.status_code in (401, 403)
    assignment.refresh_from_db()
    assert (assignment.status, assignment.judge) == (JudgeStatus.INVITED, None)


# --- The invitation page ------------------------------------------------------------------------


def test_the_invitation_page_names_the_challenge_the_inviter_and_the_address(owner, draft):
    assignment = judge_invite(challenge=draft, by=owner, email=INVITED)
    judge = UserFactory.create(email=INVITED, display_name="Grace")

    page = browser(judge).get(reverse("challenges:invitation", args=[assignment.token])).content.decode()

    assert f"Judge “{draft.title}”?" in page
    assert "Client invites you to judge this challenge." in page  # the owner's display name
    assert INVITED in page
    assert 'value="accept"' in page


def test_a_member_whose_confirmed_address_differs_cannot_accept_with_the_token_link(owner, draft, member):
    """Attack: a forwarded (or leaked) invitation link, opened by a member who confirmed another
    address. The page says the invitation is for another address and offers no Accept; posting the
    answer anyway is a 403; the API does not even show the assignment."""
    assignment = judge_invite(challenge=draft, by=owner, email=INVITED)
    url = reverse("challenges:invitation", args=[assignment.token])
    client = browser(member)

    page = client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert draft.title in html
    assert 'data-testid="confirm-address"' in html
    assert reverse("account_email") in html
    assert 'value="accept"' not in html

    refused = client.post(url, {"answer": "accept"})
    assert refused.status_code == 403
    assert "This invitation was sent to someone else." in refused.content.decode()
    assert respond(member, assignment).status_code == 404
    assignment.refresh_from_db()
    assert (assignment.status, assignment.judge) == (JudgeStatus.INVITED, None)


def test_an_invitation_answered_by_its_judge_is_closed_to_everyone_else(owner, draft, judge, member):
    assignment = judge_invite(challenge=draft, by=owner, email=judge.email)
    judge_respond(assignment=assignment, user=judge, accept=True)

    page = browser(member).get(reverse("challenges:invitation", args=[assignment.token])).content.decode()

    assert 'data-testid="not-yours"' in page
    assert (
        browser(member)
        .post(reverse("challenges:invitation", args=[assignment.token]), {"answer": "decline"})
        .status_code
        == 403
    )


def test_a_second_address_confirmed_later_lets_the_member_accept(owner, draft, member):
    """A member who joined with another address adds the invited one: until they confirm it, the page
    and the API tell them to; once confirmed, they accept on the page."""
    assignment = judge_invite(challenge=draft, by=owner, email=INVITED)
    client = browser(member)
    client.post(reverse("account_email"), {"email": INVITED, "action_add": ""})
    assert EmailAddress.objects.filter(user=member, email__iexact=INVITED, verified=False).exists()
    url = reverse("challenges:invitation", args=[assignment.token])

    assert 'data-testid="confirm-address"' in client.get(url).content.decode()
    refused = respond(member, assignment)
    assert refused.status_code == 403
    assert INVITED in refused.json()["message"]
    assert "not confirmed" in refused.json()["message"]

    click_confirmation_link(INVITED)

    assert [a.pk for a in dashboard_for(user=member).judging] == [assignment.pk]
    accepted = client.post(url, {"answer": "accept"})
    assert accepted["Location"] == reverse("challenges:conflicts", args=[assignment.pk])
    assignment.refresh_from_db()
    assert (assignment.status, assignment.judge) == (JudgeStatus.ACCEPTED, member)


def test_an_invitation_to_a_confirmed_address_binds_its_member_and_tells_them(
    owner, draft, member, enqueued, django_capture_on_commit_callbacks
):
    EmailAddress.objects.create(user=member, email=INVITED, verified=True, primary=False)

    with django_capture_on_commit_callbacks(execute=True):
        assignment = judge_invite(challenge=draft, by=owner, email=INVITED.upper())

    assert assignment.judge == member
    assert Notification.objects.filter(recipient=member, kind="judge_invited").exists()


def test_the_client_cannot_judge_their_own_challenge_through_a_second_address(owner, draft):
    EmailAddress.objects.create(user=owner, email="client.private@example.com", verified=True, primary=False)

    with pytest.raises(ApplicationError):
        judge_invite(challenge=draft, by=owner, email="Client.Private@example.com")


def test_one_member_invited_at_two_addresses_judges_once(owner, draft, member):
    EmailAddress.objects.create(user=member, email=INVITED, verified=True, primary=False)
    first = judge_invite(challenge=draft, by=owner, email=member.email)
    second = judge_invite(challenge=draft, by=owner, email=INVITED)
    judge_respond(assignment=first, user=member, accept=True)

    refused = respond(member, second)

    assert refused.status_code == 409
    assert second.judge is None


# --- Invite-only challenges ---------------------------------------------------------------------


@pytest.fixture
def invite_only(owner: User, staff: User) -> Challenge:
    challenge = make_challenge(owner, title="Members-only tractor", invite_only=True)
    add_phase(challenge)
    from challenges.tests.factories import publish

    return publish(challenge, staff=staff)


def test_an_invite_only_invitation_opens_the_challenge_only_through_a_confirmed_address(owner, invite_only):
    """Attack: sign up with the address an invite-only challenge was opened to. The challenge stays
    hidden (selector, list and detail API, pages) until the address is confirmed."""
    challenge_invite_member(challenge=invite_only, by=owner, email=INVITED)
    eve = sign_up(INVITED)

    assert sees_challenge(eve, invite_only) == everywhere(False)

    click_confirmation_link(INVITED)  # now she is the one who reads that mailbox

    assert sees_challenge(eve, invite_only) == everywhere(True)


def test_an_invite_only_invitation_counts_for_a_confirmed_second_address(owner, invite_only, member):
    challenge_invite_member(challenge=invite_only, by=owner, email=INVITED)
    unconfirmed = EmailAddress.objects.create(user=member, email=INVITED, verified=False, primary=False)
    assert not challenges_visible_to(member).filter(pk=invite_only.pk).exists()

    unconfirmed.verified = True
    unconfirmed.save(update_fields=["verified"])

    assert challenges_visible_to(member).filter(pk=invite_only.pk).exists()
