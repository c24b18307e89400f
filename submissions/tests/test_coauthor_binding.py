"""Co-author invitations bind to confirmed addresses only (issue 13, finding 1).

The attack: someone signs up with the address of a member-to-be whom a lead author is about to name
as co-author, and never confirms it. Before issue 13 the lead author's "co.author@example.com 30"
found that account by `email__iexact`: it became a co-author of the draft, read the sealed entry and
could accept a share of any prize. Now an address names a member only once that member has confirmed
it; the co-author is then told who names them on which entry of which challenge, and answers.
"""

from typing import Any

import pytest
from django.urls import reverse

from challenges.models import Phase
from challenges.tests.test_invitation_binding import api, browser, click_confirmation_link, sign_up
from community.models import User
from submissions.models import Entry, EntryAuthor, EntryStatus
from submissions.selectors import entries_visible_to
from submissions.tests.factories import enter, latest, open_phase, published_blueprint
from tests.support import UserFactory

pytestmark = pytest.mark.django_db

CO_AUTHOR = "co.author@example.com"
REFUSAL = f"No member has confirmed the address {CO_AUTHOR}."


@pytest.fixture
def lead(db: None) -> User:
    return UserFactory.create(email="lead@example.com", display_name="Lena Lead")


@pytest.fixture
def phase(owner: User, staff: User) -> Phase:
    return open_phase(owner, staff, sealed=True, title="Sealed snow plough")


@pytest.fixture
def sealed_entry(phase: Phase) -> Entry:
    """Someone else's submitted entry, sealed while the phase is open."""
    return enter(phase, UserFactory.create(email="rival@example.com", display_name="Rival"), title="Rival's entry")


def enter_with_co_author(lead: User, phase: Phase) -> Any:
    blueprint = published_blueprint(lead)
    body = {
        "phase": phase.pk,
        "revision": latest(blueprint).pk,
        "title": "Plough with a co-author",
        "co_authors": [{"email": CO_AUTHOR.upper(), "share": "30"}],
        "submit": False,
    }
    return api(lead).post("/api/v1/entries/", body, format="json")


def test_an_unconfirmed_address_names_no_co_author_through_the_api(lead, phase, sealed_entry):
    """Attack: sign up with the co-author's address; the lead author's entry naming it is refused
    (400, nothing created), so the account reads no draft and no sealed entry."""
    eve = sign_up(CO_AUTHOR)

    refused = enter_with_co_author(lead, phase)

    assert refused.status_code == 400
    assert REFUSAL.replace(CO_AUTHOR, CO_AUTHOR.upper()) in refused.content.decode()
    assert list(Entry.objects.filter(lead_author=lead)) == []
    assert not EntryAuthor.objects.filter(user=eve).exists()
    assert not entries_visible_to(eve).exists()
    assert api(eve).get(f"/api/v1/entries/{sealed_entry.pk}/").status_code == 404
    assert api(eve).get("/api/v1/entries/?mine=1").json()["results"] == []


def test_an_unconfirmed_address_names_no_co_author_on_the_enter_page(lead, phase):
    """Attack: the same through the page's co-author field: a form error, nothing created."""
    sign_up(CO_AUTHOR)
    blueprint = published_blueprint(lead)

    response = browser(lead).post(
        reverse("submissions:enter", kwargs={"phase_pk": phase.pk}),
        {"revision": latest(blueprint).pk, "title": "Plough", "co_authors": f"{CO_AUTHOR} 30"},
    )

    assert response.status_code == 200
    assert REFUSAL in response.content.decode()
    assert not Entry.objects.filter(lead_author=lead).exists()


def test_changing_the_co_authors_to_an_unconfirmed_address_is_refused(lead, phase):
    """Attack: the lead author names the address on an existing draft (API and page): refused."""
    eve = sign_up(CO_AUTHOR)
    draft = enter(phase, lead, submit=False)

    by_api = api(lead).put(
        f"/api/v1/entries/{draft.pk}/co-authors/",
        {"co_authors": [{"email": CO_AUTHOR, "share": "30"}]},
        format="json",
    )
    by_page = browser(lead).post(
        reverse("submissions:co_authors", kwargs={"pk": draft.pk}), {"co_authors": f"{CO_AUTHOR} 30"}
    )

    assert by_api.status_code == 400
    assert REFUSAL in by_api.content.decode()
    assert REFUSAL in by_page.content.decode()
    assert not EntryAuthor.objects.filter(user=eve).exists()
    assert api(eve).get(f"/api/v1/entries/{draft.pk}/").status_code == 404


def test_once_the_address_is_confirmed_the_co_author_is_asked_sees_who_asks_and_accepts(lead, phase, sealed_entry):
    """The person who reads the mailbox confirms the address; then the lead author names them, their
    "My entries" page names the entry, the challenge and the lead author, and they accept."""
    grace = sign_up(CO_AUTHOR, display_name="Grace")
    assert enter_with_co_author(lead, phase).status_code == 400

    click_confirmation_link(CO_AUTHOR)
    created = enter_with_co_author(lead, phase)

    assert created.status_code == 201, created.json()
    entry = Entry.objects.get(pk=created.json()["id"])
    assert entry.authors.get(is_lead=False).user == grace
    mine = browser(grace).get(reverse("submissions:mine")).content.decode()
    assert "Plough with a co-author" in mine
    assert "Sealed snow plough" in mine
    assert "Lena Lead names you as a co-author with a 30 % share of any prize." in mine

    answered = api(grace).post(f"/api/v1/entries/{entry.pk}/co-author-answer/", {"accept": True}, format="json")

    assert answered.status_code == 200, answered.json()
    assert entry.authors.get(user=grace).acceptance == "accepted"
    assert entry.status == EntryStatus.DRAFT
    assert not entries_visible_to(grace).filter(pk=sealed_entry.pk).exists()  # a co-author reads only their own
