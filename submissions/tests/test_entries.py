"""Entering a phase: the eligibility rules (as a table over roles and phase states), co-authors and
their shares, replacing the revision, withdrawing and disqualifying."""

from decimal import Decimal

import pytest
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone

from blueprints.models import FileStatus
from challenges import services as challenge_services
from challenges.models import PhaseStatus
from challenges.tests.factories import add_phase, make_challenge, publish
from core.actors import Actor
from core.exceptions import ApplicationError
from submissions import services, signals
from submissions.models import Acceptance, EntryAuthor, EntryStatus, EntryStatusChange
from submissions.selectors import counted_entries, entry_eligibility
from submissions.services import CoAuthor
from submissions.tests.factories import (
    accept_judge,
    award,
    enter,
    fork_of,
    latest,
    open_phase,
    published_blueprint,
    to_judging,
)
from tests.support import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def phase(owner, staff, judge):
    return open_phase(owner, staff, judges=[judge])


def received(signal):
    calls = []

    def receiver(sender, signal, **kwargs):
        calls.append(kwargs)

    signal.connect(receiver, weak=False)
    return calls, receiver


def test_a_member_enters_an_open_phase_and_it_is_announced_after_commit(phase, ada, django_capture_on_commit_callbacks):
    calls, receiver = received(signals.entry_submitted)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            entry = enter(phase, ada)
    finally:
        signals.entry_submitted.disconnect(receiver)

    assert entry.status == EntryStatus.SUBMITTED
    assert entry.submitted_at is not None
    assert [(a.user, a.share, a.is_lead) for a in entry.authors.all()] == [(ada, Decimal("100.00"), True)]
    assert [h.revision for h in entry.revision_history.all()] == [entry.revision]
    assert calls == [
        {"entry_id": entry.pk, "phase_id": phase.pk, "challenge_id": phase.challenge_id, "author_ids": [ada.pk]}
    ]


def test_co_authors_share_the_prize_as_agreed_and_the_lead_keeps_the_rest(phase, ada, bob):
    entry = enter(phase, ada, co_authors=[(bob, "30")])

    assert {a.user: (a.share, a.is_lead) for a in entry.authors.all()} == {
        ada: (Decimal("70.00"), True),
        bob: (Decimal("30.00"), False),
    }


@pytest.mark.parametrize(
    ("shares", "message"),
    [
        (["100"], "less than 100 %"),
        (["60", "40"], "leave a share for the lead author"),
        (["0"], "more than 0 %"),
    ],
)
def test_co_author_shares_that_leave_nothing_or_are_empty_are_refused(phase, ada, shares, message):
    co_authors = [(UserFactory.create(), share) for share in shares]

    with pytest.raises(ApplicationError, match=message):
        enter(phase, ada, co_authors=co_authors)

    assert not phase.entries.exists()


def test_a_co_author_cannot_be_a_judge_or_the_owner(phase, ada, judge, owner):
    with pytest.raises(ApplicationError, match="judge cannot be a co-author"):
        enter(phase, ada, co_authors=[(judge, "10")])
    with pytest.raises(ApplicationError, match="owner cannot be a co-author"):
        enter(phase, ada, co_authors=[(owner, "10")])


def test_the_entry_limit_counts_submitted_entries_but_not_withdrawn_ones_or_drafts(owner, staff, ada):
    phase = open_phase(owner, staff, entry_limit=2)
    first = enter(phase, ada)
    enter(phase, ada, submit=False)  # a draft uses no entry
    enter(phase, ada, blueprint=published_blueprint(ada, "Second"))

    with pytest.raises(ApplicationError, match="used all 2 entries") as refused:
        enter(phase, ada, blueprint=published_blueprint(ada, "Third"))
    assert refused.value.extra["codes"] == ["limit"]

    services.entry_withdraw(entry=first, user=ada)
    assert enter(phase, ada, blueprint=published_blueprint(ada, "Fourth")).status == EntryStatus.SUBMITTED


def test_a_revision_must_be_published_with_every_file_ready_and_belong_to_the_lead_author(phase, ada, bob):
    blueprint = published_blueprint(ada)
    draft = challenge_free_draft(blueprint, ada)
    eligibility = entry_eligibility(user=ada, phase=phase, revision=draft)
    assert set(eligibility.reasons) == {"revision_not_published", "files_not_ready"}

    bobs = latest(published_blueprint(bob, "Bob's"))
    eligibility = entry_eligibility(user=ada, phase=phase, revision=bobs)
    assert set(eligibility.reasons) == {"revision_not_yours"}
    # Naming Bob a co-author does not let Ada enter Bob's design.
    eligibility = entry_eligibility(user=ada, phase=phase, revision=bobs, co_authors=[bob])
    assert set(eligibility.reasons) == {"revision_not_yours"}
    with pytest.raises(ApplicationError, match="must be one of your own") as refused:
        services.entry_create(
            phase=phase, user=ada, revision=bobs, title="Bob's", co_authors=[CoAuthor(bob, Decimal(50))], submit=False
        )
    assert refused.value.extra["codes"] == ["revision_not_yours"]
    assert not phase.entries.exists()


def test_the_revision_is_replaced_only_by_one_of_the_lead_authors_own(phase, ada, bob):
    entry = enter(phase, ada, co_authors=[(bob, "50")])
    bobs = latest(published_blueprint(bob, "Bob's"))

    with pytest.raises(ApplicationError, match="must be one of your own"):
        services.entry_replace_revision(entry=entry, user=ada, revision=bobs)

    entry.refresh_from_db()
    assert entry.revision != bobs


def challenge_free_draft(blueprint, user):
    from blueprints import services as blueprint_services
    from blueprints.models import File

    draft = blueprint_services.revision_create(blueprint=blueprint, user=user)
    File.objects.create(
        revision=draft,
        original_name="pending.stl",
        file_type="stl",
        kind="cad_model",
        content_type="model/stl",
        size=10,
        status=FileStatus.PENDING,
    )
    return draft


# --- Eligibility over roles and phase states ---------------------------------------------------

ROLES = ["member", "owner", "judge", "invited_judge", "staff", "anonymous"]
STATES = ["scheduled", "open", "judging", "awarded", "cancelled"]


@pytest.fixture
def phase_states(owner, staff, judge):
    """One phase in each state, with an accepted and an invited judge."""
    invited = UserFactory.create(email="invited@example.com")
    phases = {}
    scheduled_challenge = make_challenge(owner, title="Later")
    phases["scheduled"] = add_phase(scheduled_challenge)
    for state in STATES[1:]:
        phases[state] = open_phase(owner, staff, judges=[judge], title=f"In {state}")
    for phase in phases.values():
        challenge_services.judge_invite(challenge=phase.challenge, by=owner, email=invited.email)
        if phase.challenge.status == "draft":
            accept_judge(phase.challenge, judge)
            publish(phase.challenge, staff=staff)
    to_judging(phases["judging"])
    winner = enter(phases["awarded"], UserFactory.create())
    to_judging(phases["awarded"])
    award(phases["awarded"], owner, (1, winner))
    challenge_services.phase_transition(phase=phases["cancelled"], to=PhaseStatus.CANCELLED, actor=Actor.user(staff))
    for phase in phases.values():
        phase.refresh_from_db()
    assert {state: phase.status for state, phase in phases.items()} == {state: state for state in STATES}
    return phases, invited


EXPECTED_WHEN_OPEN = {
    "member": set(),
    "owner": {"owner"},
    "judge": {"judge"},
    "invited_judge": {"judge"},
    "staff": set(),
    "anonymous": {"sign_in"},
}


@pytest.mark.parametrize("state", STATES)
def test_eligibility_over_roles_and_phase_states(phase_states, state, owner, judge, staff, ada):
    phases, invited = phase_states
    users = {"member": ada, "owner": owner, "judge": judge, "invited_judge": invited, "staff": staff}
    for role in ROLES:
        user = users.get(role, AnonymousUser())
        expected = set(EXPECTED_WHEN_OPEN[role])
        if state != "open" and role != "anonymous":
            expected.add("phase_not_open")
        reasons = set(entry_eligibility(user=user, phase=phases[state]).reasons)
        assert reasons == expected, (role, state)


# --- Changing an entry --------------------------------------------------------------------------


def test_the_revision_is_replaced_until_the_phase_closes_and_every_one_is_kept(phase, ada):
    blueprint = published_blueprint(ada)
    entry = enter(phase, ada, blueprint=blueprint)
    first = entry.revision
    second = latest(fork_of(blueprint, ada, "Ada's second take"))

    services.entry_replace_revision(entry=entry, user=ada, revision=second)

    entry.refresh_from_db()
    assert entry.revision == second
    assert [h.revision for h in entry.revision_history.all()] == [first, second]
    to_judging(phase)
    with pytest.raises(ApplicationError, match="until the phase closes"):
        services.entry_replace_revision(entry=entry, user=ada, revision=first)


def test_only_the_lead_author_withdraws_and_a_withdrawn_entry_stays_withdrawn(phase, ada, bob):
    entry = enter(phase, ada, co_authors=[(bob, "50")])
    with pytest.raises(ApplicationError, match="Only the lead author"):
        services.entry_withdraw(entry=entry, user=bob)

    services.entry_withdraw(entry=entry, user=ada, reason="Not ready.")

    entry.refresh_from_db()
    assert entry.status == EntryStatus.WITHDRAWN
    change = EntryStatusChange.objects.get(entry=entry, to_status="withdrawn")
    assert (change.from_status, change.actor, change.reason) == ("submitted", ada, "Not ready.")
    with pytest.raises(ApplicationError, match="cannot move"):
        services.entry_submit(entry=entry, user=ada)


def test_the_owner_or_staff_disqualify_with_a_reason_and_the_authors_are_told(
    phase, ada, owner, judge, django_capture_on_commit_callbacks
):
    entry = enter(phase, ada)
    with pytest.raises(ApplicationError, match="Only the challenge's owner or staff"):
        services.entry_disqualify(entry=entry, actor=Actor.user(judge), reason="Copied.")
    with pytest.raises(ApplicationError, match="Give the reason"):
        services.entry_disqualify(entry=entry, actor=Actor.user(owner), reason="  ")

    calls, receiver = received(signals.entry_disqualified)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            services.entry_disqualify(entry=entry, actor=Actor.user(owner), reason="Copied from elsewhere.")
    finally:
        signals.entry_disqualified.disconnect(receiver)

    entry.refresh_from_db()
    assert (entry.status, entry.status_reason) == (EntryStatus.DISQUALIFIED, "Copied from elsewhere.")
    assert calls == [
        {"entry_id": entry.pk, "phase_id": phase.pk, "reason": "Copied from elsewhere.", "author_ids": [ada.pk]}
    ]


def test_a_draft_is_submitted_later_after_the_same_checks(phase, ada):
    draft = enter(phase, ada, submit=False)
    assert (draft.status, draft.submitted_at) == (EntryStatus.DRAFT, None)

    submitted = services.entry_submit(entry=draft, user=ada, now=timezone.now())

    assert submitted.status == EntryStatus.SUBMITTED


def test_entering_a_closed_phase_is_refused_and_creates_nothing(phase, ada):
    to_judging(phase)
    blueprint = published_blueprint(ada)

    with pytest.raises(ApplicationError, match="not taking entries"):
        services.entry_create(phase=phase, user=ada, revision=latest(blueprint), title="Late", co_authors=[])

    assert not phase.entries.exists()


def test_an_entry_needs_a_title(phase, ada):
    with pytest.raises(ApplicationError, match="title"):
        services.entry_create(phase=phase, user=ada, revision=latest(published_blueprint(ada)), title=" ")


def test_an_entry_of_a_dependent_phase_names_the_winning_concept_it_builds_on(owner, staff, judge, ada, bob):
    from datetime import timedelta

    from django.utils import timezone

    challenge = make_challenge(owner, title="Two phases", budget="50000")
    now = timezone.now()
    concept = add_phase(challenge, opens_at=now + timedelta(hours=1), prizes=("1000",))
    front = add_phase(challenge, kind="front", opens_at=now + timedelta(days=20), depends_on=[concept])
    accept_judge(challenge, judge)
    publish(challenge, staff=staff)
    challenge_services.phase_transition(phase=concept, to=PhaseStatus.OPEN, actor=Actor.user(owner))
    winner, other = enter(concept, ada), enter(concept, bob)
    to_judging(concept)
    award(concept, owner, (1, winner))
    challenge_services.phase_transition(phase=front, to=PhaseStatus.OPEN, actor=Actor.user(owner))
    front.refresh_from_db()

    with pytest.raises(ApplicationError, match="Say which winning entry") as refused:
        enter(front, bob)
    assert refused.value.extra["codes"] == ["builds_on_missing"]
    with pytest.raises(ApplicationError, match="only build on the winners"):
        enter(front, bob, builds_on=[other.pk])

    entry = enter(front, bob, builds_on=[winner.pk])
    assert list(entry.builds_on.all()) == [winner]


# --- Co-authors agree ------------------------------------------------------------------------------


def answers(entry):
    return {a.user: a.acceptance for a in EntryAuthor.objects.filter(entry=entry, is_lead=False)}


def test_co_authors_are_invited_and_the_entry_is_submitted_once_every_one_has_accepted(
    phase, ada, bob, django_capture_on_commit_callbacks
):
    carla = UserFactory.create(display_name="Carla")
    with pytest.raises(ApplicationError, match="co-authors must accept") as refused:
        services.entry_create(
            phase=phase,
            user=ada,
            revision=latest(published_blueprint(ada)),
            title="Together",
            co_authors=[CoAuthor(bob, Decimal(30)), CoAuthor(carla, Decimal(20))],
        )
    assert refused.value.extra["codes"] == ["co_authors_pending"]

    calls, receiver = received(signals.co_author_invited)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            draft = enter(phase, ada, co_authors=[(bob, "30"), (carla, "20")], submit=False)
    finally:
        signals.co_author_invited.disconnect(receiver)
    assert draft.status == EntryStatus.DRAFT
    assert answers(draft) == {bob: Acceptance.INVITED, carla: Acceptance.INVITED}
    lead = EntryAuthor.objects.get(entry=draft, is_lead=True)
    assert (lead.acceptance, lead.responded_at is not None) == (Acceptance.ACCEPTED, True)
    assert sorted(call["user_id"] for call in calls) == sorted([bob.pk, carla.pk])
    assert calls[0] | {"user_id": None} == {
        "entry_id": draft.pk,
        "phase_id": phase.pk,
        "user_id": None,
        "lead_author_id": ada.pk,
    }

    services.entry_co_author_respond(entry=draft, user=bob, accept=True)
    with pytest.raises(ApplicationError, match="waiting for Carla") as refused:
        services.entry_submit(entry=draft, user=ada)
    assert refused.value.extra["codes"] == ["co_authors_pending"]

    answered = services.entry_co_author_respond(entry=draft, user=carla, accept=True)
    assert answered.responded_at is not None
    assert services.entry_submit(entry=draft, user=ada).status == EntryStatus.SUBMITTED


def test_a_declined_co_author_blocks_submission_until_the_lead_changes_the_co_authors(phase, ada, bob):
    draft = enter(phase, ada, co_authors=[(bob, "30")], submit=False)

    services.entry_co_author_respond(entry=draft, user=bob, accept=False)

    with pytest.raises(ApplicationError, match="Bob declined to be a co-author") as refused:
        services.entry_submit(entry=draft, user=ada)
    assert refused.value.extra["codes"] == ["co_author_declined"]
    services.entry_co_authors_set(entry=draft, user=ada, co_authors=[])
    assert services.entry_submit(entry=draft, user=ada).status == EntryStatus.SUBMITTED
    assert [(a.user, a.share) for a in draft.authors.all()] == [(ada, Decimal("100.00"))]


def test_only_a_named_co_author_answers_for_themselves_and_only_once(phase, ada, bob, outsider, staff):
    draft = enter(phase, ada, co_authors=[(bob, "30")], submit=False)
    for someone in (ada, outsider, staff):
        with pytest.raises(ApplicationError, match="Only a co-author named on this entry"):
            services.entry_co_author_respond(entry=draft, user=someone, accept=True)

    services.entry_co_author_respond(entry=draft, user=bob, accept=False)
    services.entry_co_author_respond(entry=draft, user=bob, accept=False)  # the same answer again: nothing changes
    with pytest.raises(ApplicationError, match="already answered"):
        services.entry_co_author_respond(entry=draft, user=bob, accept=True)
    assert answers(draft) == {bob: Acceptance.DECLINED}


def test_changing_the_co_authors_or_shares_asks_every_co_author_again(phase, ada, bob):
    carla = UserFactory.create()
    draft = enter(phase, ada, co_authors=[(bob, "30")], submit=False)
    services.entry_co_author_respond(entry=draft, user=bob, accept=True)

    services.entry_co_authors_set(entry=draft, user=ada, co_authors=[CoAuthor(bob, Decimal("30"))])
    assert answers(draft) == {bob: Acceptance.ACCEPTED}  # the same terms: nothing to agree again

    services.entry_co_authors_set(entry=draft, user=ada, co_authors=[CoAuthor(bob, Decimal("40"))])
    assert answers(draft) == {bob: Acceptance.INVITED}
    assert {a.user: a.share for a in draft.authors.all()} == {ada: Decimal("60.00"), bob: Decimal("40.00")}

    services.entry_co_author_respond(entry=draft, user=bob, accept=True)
    services.entry_co_authors_set(
        entry=draft, user=ada, co_authors=[CoAuthor(bob, Decimal("40")), CoAuthor(carla, Decimal("10"))]
    )
    assert answers(draft) == {bob: Acceptance.INVITED, carla: Acceptance.INVITED}


def test_only_the_lead_changes_the_co_authors_and_only_of_a_draft(phase, ada, bob, judge):
    draft = enter(phase, ada, co_authors=[(bob, "30")], submit=False)
    with pytest.raises(ApplicationError, match="Only the lead author"):
        services.entry_co_authors_set(entry=draft, user=bob, co_authors=[])
    with pytest.raises(ApplicationError, match="judge cannot be a co-author"):
        services.entry_co_authors_set(entry=draft, user=ada, co_authors=[CoAuthor(judge, Decimal(10))])
    assert answers(draft) == {bob: Acceptance.INVITED}

    submitted = enter(open_phase(draft.phase.challenge.owner, UserFactory.create(is_staff=True)), ada)
    with pytest.raises(ApplicationError, match="while it is a draft"):
        services.entry_co_authors_set(entry=submitted, user=ada, co_authors=[CoAuthor(bob, Decimal(10))])


@pytest.mark.parametrize("share", ["NaN", "sNaN", "Infinity", "-Infinity"])
def test_a_share_that_is_not_a_finite_number_is_refused(phase, ada, bob, share):
    with pytest.raises(ApplicationError, match="A prize share is a percentage"):
        services.entry_create(
            phase=phase,
            user=ada,
            revision=latest(published_blueprint(ada)),
            title="Odd shares",
            co_authors=[CoAuthor(bob, Decimal(share))],
            submit=False,
        )
    assert not phase.entries.exists()


# --- The entry limit counts every authorship -----------------------------------------------------


def test_the_entry_limit_counts_the_entries_one_co_authors_so_swapping_the_lead_does_not_dodge_it(
    owner, staff, ada, bob
):
    phase = open_phase(owner, staff, entry_limit=1)
    enter(phase, bob, co_authors=[(ada, "40")])

    # Ada has used her one entry as Bob's co-author: she cannot lead another ...
    assert counted_entries(user=ada, phase=phase).count() == 1
    with pytest.raises(ApplicationError, match="used all 1 entries") as refused:
        enter(phase, ada)
    assert refused.value.extra["codes"] == ["limit"]
    # ... nor be named on a third member's entry that is submitted.
    carla = UserFactory.create(display_name="Carla")
    draft = enter(phase, carla, co_authors=[(ada, "10")], submit=False)
    services.entry_co_author_respond(entry=draft, user=ada, accept=True)
    with pytest.raises(ApplicationError, match="Ada has used all 1 entries") as refused:
        services.entry_submit(entry=draft, user=carla)
    assert refused.value.extra["codes"] == ["co_author_limit"]


def test_a_declined_co_authorship_and_a_withdrawn_entry_use_no_entry(owner, staff, ada, bob):
    phase = open_phase(owner, staff, entry_limit=1)
    declined = enter(phase, bob, co_authors=[(ada, "40")], submit=False)
    services.entry_co_author_respond(entry=declined, user=ada, accept=False)
    both = enter(phase, UserFactory.create(), co_authors=[(ada, "10")])
    assert counted_entries(user=ada, phase=phase).count() == 1

    services.entry_withdraw(entry=both, user=both.lead_author)

    assert counted_entries(user=ada, phase=phase).count() == 0
    assert enter(phase, ada).status == EntryStatus.SUBMITTED
