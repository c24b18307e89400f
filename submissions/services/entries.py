"""Entries: created and submitted after the eligibility check, their revision replaced while the
phase is open (every revision kept in the history), withdrawn by the lead author, disqualified
by the owner or staff with a reason.

Co-authors agree: the lead author names them with their shares, each co-author accepts or declines
(`entry_co_author_respond`), and the entry stays a draft until every one has accepted. Changing the
co-authors or the shares (`entry_co_authors_set`) asks every co-author again."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from blueprints.models import Revision
from challenges.lifecycle import Role as ChallengeRole
from challenges.models import Challenge, Phase, PhaseStatus
from challenges.selectors import challenge_roles
from community.models import User
from core.actors import Actor
from core.caching import bump
from core.exceptions import ApplicationError, Conflict, NotAllowed
from core.statemachine import apply_move, save_status
from submissions import signals
from submissions.lifecycle import ACCEPTANCE, ENTRY, Role
from submissions.models import Acceptance, Entry, EntryAuthor, EntryRevision, EntryStatus, EntryStatusChange
from submissions.selectors import co_author_problems, entry_author_ids, entry_eligibility, revision_problems
from submissions.services.common import lock_entry, lock_phase

HUNDRED = Decimal(100)
CENT = Decimal("0.01")


@dataclass(frozen=True)
class CoAuthor:
    user: User
    share: Decimal  # percent of any prize


# Eligibility codes by kind of refusal; the first reason (the message shown) decides the kind, and
# the other codes not named here are about the input (co-authors, builds-on, the revision chosen).
_NOT_ALLOWED_CODES = frozenset({"sign_in", "not_visible", "owner", "judge"})
_CONFLICT_CODES = frozenset(
    {"phase_not_open", "limit", "co_authors_pending", "co_author_declined", "files_not_ready", "revision_not_published"}
)


def _refuse(eligibility_reasons: dict[str, str]) -> ApplicationError:
    messages = list(eligibility_reasons.values())
    first = next(iter(eligibility_reasons))
    kind = NotAllowed if first in _NOT_ALLOWED_CODES else Conflict if first in _CONFLICT_CODES else ApplicationError
    return kind(messages[0], {"eligibility": messages, "codes": list(eligibility_reasons)})


def _share(value: object) -> Decimal:
    """A co-author's share as a percentage with two decimals; NaN and infinities are not numbers here."""
    try:
        share = Decimal(value)  # type: ignore[arg-type]
        if not share.is_finite():
            raise InvalidOperation
        return share.quantize(CENT)
    except (InvalidOperation, TypeError, ValueError) as error:
        raise ApplicationError(_("A prize share is a percentage."), {"co_authors": [_("Not a number.")]}) from error


def _lead_share(user: User, co_authors: Sequence[CoAuthor]) -> Decimal:
    seen = {user.pk}
    total = Decimal(0)
    for co_author in co_authors:
        share = _share(co_author.share)
        if co_author.user.pk in seen:
            message = _("Each co-author is named once, and not the lead author.")
            raise ApplicationError(message, {"co_authors": [message]})
        if share <= 0 or share >= HUNDRED:
            message = _("Every co-author's share is more than 0 % and less than 100 %.")
            raise ApplicationError(message, {"co_authors": [message]})
        seen.add(co_author.user.pk)
        total += share
    lead = HUNDRED - total
    if lead <= 0:
        message = _("The co-authors' shares must leave a share for the lead author (together 100 %).")
        raise ApplicationError(message, {"co_authors": [message]})
    return lead


def entry_roles(entry: Entry, *, actor: Actor, challenge: Challenge | None = None) -> set[Role]:
    """What `actor` is to `entry` (`lifecycle.Role`): its lead author, and (when `challenge` is
    given, one query) the challenge's owner or staff. The system is none of these."""
    if actor.is_system or actor.member is None:
        return set()
    roles = {Role.LEAD_AUTHOR} if entry.lead_author_id == actor.member.pk else set()
    if challenge is not None:
        assert isinstance(actor.member, User)
        relation = challenge_roles(user=actor.member, challenge=challenge)
        roles |= {Role.OWNER} if ChallengeRole.OWNER in relation else set()
        roles |= {Role.STAFF} if ChallengeRole.STAFF in relation else set()
    return roles


def entry_move(
    entry: Entry,
    *,
    to: EntryStatus,
    actor: Actor,
    roles: set[Role],
    reason: str = "",
    update_fields: Sequence[str] = (),
) -> EntryStatusChange:
    """The one writer of an entry's status, under the caller's locks on the phase and the entry:
    checks the move against `ENTRY` in `roles`, saves it (with `update_fields`) and records it."""
    ENTRY.check(entry.status, to, roles)
    record = apply_move(
        entry,
        target=to,
        actor=actor,
        record=EntryStatusChange,
        reason=reason,
        update_fields=update_fields,
        entry=entry,
    )
    assert isinstance(record, EntryStatusChange)
    return record


def acceptance_move(authorship: EntryAuthor, *, to: str, roles: set[Role], now: datetime) -> EntryAuthor:
    """The one writer of a co-author's answer, under the caller's lock: checks it against
    `ACCEPTANCE` and saves it with its time (the row is the record: asking again replaces it)."""
    ACCEPTANCE.check(authorship.acceptance, to, roles)
    authorship.responded_at = now
    save_status(authorship, target=to, status_field="acceptance", update_fields=["responded_at"])
    return authorship


def _invite_co_authors(entry: Entry, co_authors: Sequence[CoAuthor]) -> None:
    """Name the co-authors with their shares, each yet to accept, and announce each invitation."""
    bump("submissions")
    EntryAuthor.objects.bulk_create(
        [
            EntryAuthor(entry=entry, user=c.user, share=_share(c.share), acceptance=Acceptance.INVITED)
            for c in co_authors
        ]
    )
    for co_author in co_authors:
        signals.announce_on_commit(
            signals.co_author_invited,
            Entry,
            entry_id=entry.pk,
            phase_id=entry.phase_id,
            user_id=co_author.user.pk,
            lead_author_id=entry.lead_author_id,
        )


def _announce_submitted(entry: Entry, phase: Phase) -> None:
    signals.announce_on_commit(
        signals.entry_submitted,
        Entry,
        entry_id=entry.pk,
        phase_id=phase.pk,
        challenge_id=phase.challenge_id,
        author_ids=entry_author_ids(entry),
    )


@transaction.atomic
def entry_create(
    *,
    phase: Phase,
    user: User,
    revision: Revision,
    title: str,
    statement: str = "",
    co_authors: Sequence[CoAuthor] = (),
    builds_on: Sequence[int] = (),
    submit: bool = True,
    now: datetime | None = None,
) -> Entry:
    """Enter `revision` into the phase (or keep it as a draft, `submit=False`). Every rule is checked first.

    An entry with co-authors starts as a draft: it is submitted once they have all accepted.
    """
    now = now or timezone.now()
    locked = lock_phase(phase.pk)
    title = title.strip()
    if not title:
        raise ApplicationError(_("Give the entry a title."), {"title": [_("This field is required.")]})
    lead_share = _lead_share(user, co_authors)
    revision = Revision.objects.select_related("blueprint").get(pk=revision.pk)
    eligibility = entry_eligibility(
        user=user,
        phase=locked,
        revision=revision,
        co_authors=[co_author.user for co_author in co_authors],
        builds_on_ids=list(builds_on),
        now=now,
    )
    reasons = dict(eligibility.reasons)
    if not submit:
        # A draft uses no entry until it is submitted.
        reasons.pop("limit", None)
        reasons.pop("co_author_limit", None)
    elif co_authors:
        reasons["co_authors_pending"] = _(
            "Your co-authors must accept the entry and their shares first: save it as a draft, and submit it "
            "once every co-author has accepted."
        )
    if reasons:
        raise _refuse(reasons)
    entry = Entry.objects.create(
        phase=locked,
        lead_author=user,
        revision=revision,
        title=title[:200],
        statement=statement.strip()[:10000],
        status=EntryStatus.DRAFT,
    )
    EntryAuthor.objects.create(
        entry=entry, user=user, share=lead_share, is_lead=True, acceptance=Acceptance.ACCEPTED, responded_at=now
    )
    _invite_co_authors(entry, co_authors)
    if builds_on:
        entry.builds_on.set(list(builds_on))
    EntryRevision.objects.create(entry=entry, revision=revision, set_by=user)
    if submit:
        entry.submitted_at = now
        entry_move(
            entry,
            to=EntryStatus.SUBMITTED,
            actor=Actor.user(user),
            roles={Role.LEAD_AUTHOR},
            update_fields=["submitted_at"],
        )
        _announce_submitted(entry, locked)
    return entry


def _require_lead(entry: Entry, user: User) -> None:
    if entry.lead_author_id != user.pk:
        raise NotAllowed(_("Only the lead author can change this entry."))


@transaction.atomic
def entry_submit(*, entry: Entry, user: User, now: datetime | None = None) -> Entry:
    """Submit a draft, after the same checks as entering."""
    now = now or timezone.now()
    phase = lock_phase(entry.phase_id)
    locked = lock_entry(entry.pk)
    _require_lead(locked, user)
    if locked.status == EntryStatus.SUBMITTED:
        return locked
    authors = list(locked.authors.select_related("user"))
    co_authors = [a.user for a in authors if not a.is_lead]
    eligibility = entry_eligibility(
        user=user,
        phase=phase,
        revision=locked.revision,
        co_authors=co_authors,
        builds_on_ids=list(locked.builds_on.values_list("pk", flat=True)),
        now=now,
    )
    reasons = {**eligibility.reasons, **co_author_problems(authors=authors)}
    if reasons:
        raise _refuse(reasons)
    locked.submitted_at = now
    actor = Actor.user(user)
    entry_move(
        locked,
        to=EntryStatus.SUBMITTED,
        actor=actor,
        roles=entry_roles(locked, actor=actor),
        update_fields=["submitted_at"],
    )
    _announce_submitted(locked, phase)
    return locked


@transaction.atomic
def entry_replace_revision(*, entry: Entry, user: User, revision: Revision, now: datetime | None = None) -> Entry:
    """Point the entry at another revision until the phase closes; the old one stays in the history."""
    now = now or timezone.now()
    phase = lock_phase(entry.phase_id)
    locked = lock_entry(entry.pk)
    _require_lead(locked, user)
    if locked.status not in (EntryStatus.DRAFT, EntryStatus.SUBMITTED):
        raise Conflict(_("A withdrawn or disqualified entry cannot be changed."))
    if phase.status != PhaseStatus.OPEN or phase.closes_at <= now:
        raise Conflict(_("The revision can only be replaced until the phase closes."))
    revision = Revision.objects.select_related("blueprint").get(pk=revision.pk)
    if revision.pk == locked.revision_id:
        return locked
    problems = revision_problems(revision=revision, lead=user)
    if problems:
        raise _refuse(problems)
    locked.revision = revision
    locked.save(update_fields=["revision", "updated_at"])
    EntryRevision.objects.create(entry=locked, revision=revision, set_by=user)
    return locked


@transaction.atomic
def entry_co_authors_set(
    *, entry: Entry, user: User, co_authors: Sequence[CoAuthor], now: datetime | None = None
) -> Entry:
    """The lead author names the co-authors of a draft and their shares again. Any change asks every
    co-author again (their earlier answers were to other terms); no change changes nothing."""
    now = now or timezone.now()
    phase = lock_phase(entry.phase_id)
    locked = lock_entry(entry.pk)
    _require_lead(locked, user)
    if locked.status != EntryStatus.DRAFT:
        raise Conflict(_("The co-authors of an entry are changed while it is a draft."))
    if phase.status != PhaseStatus.OPEN or phase.closes_at <= now:
        raise Conflict(_("The co-authors can only be changed until the phase closes."))
    lead_share = _lead_share(user, co_authors)
    current = {(a.user_id, a.share) for a in locked.authors.filter(is_lead=False)}
    if current == {(c.user.pk, _share(c.share)) for c in co_authors}:
        return locked
    eligibility = entry_eligibility(user=user, phase=phase, co_authors=[c.user for c in co_authors], now=now)
    # Who may be a co-author at all; the entry limits are checked when the draft is submitted.
    reasons = {
        code: message for code, message in eligibility.reasons.items() if code in ("co_author_owner", "co_author_judge")
    }
    if reasons:
        raise _refuse(reasons)
    locked.authors.filter(is_lead=False).delete()
    locked.authors.filter(is_lead=True).update(share=lead_share)
    bump("submissions")
    _invite_co_authors(locked, co_authors)
    locked.save(update_fields=["updated_at"])
    return locked


@transaction.atomic
def entry_co_author_respond(*, entry: Entry, user: User, accept: bool, now: datetime | None = None) -> EntryAuthor:
    """A co-author accepts (or declines) being named on a draft with the share the lead author set.
    Only that co-author answers, and only once; answering the same again changes nothing."""
    now = now or timezone.now()
    locked = lock_entry(entry.pk)
    authorship = EntryAuthor.objects.select_for_update().filter(entry=locked, user=user, is_lead=False).first()
    if authorship is None:
        raise NotAllowed(_("Only a co-author named on this entry can answer for themselves."))
    answer = Acceptance.ACCEPTED if accept else Acceptance.DECLINED
    if authorship.acceptance == answer:
        return authorship
    if locked.status != EntryStatus.DRAFT:
        raise Conflict(_("This entry is no longer waiting for its co-authors."))
    return acceptance_move(authorship, to=answer, roles={Role.CO_AUTHOR}, now=now)


@transaction.atomic
def entry_withdraw(*, entry: Entry, user: User, reason: str = "") -> Entry:
    """The lead author takes the entry back (no longer counted, no longer judged) until the phase is awarded."""
    phase = lock_phase(entry.phase_id)
    locked = lock_entry(entry.pk)
    _require_lead(locked, user)
    if locked.status == EntryStatus.WITHDRAWN:
        return locked
    if phase.status not in (PhaseStatus.OPEN, PhaseStatus.JUDGING):
        raise Conflict(_("An entry can be withdrawn only while its phase is open or being judged."))
    locked.status_reason = reason.strip()[:500]
    actor = Actor.user(user)
    entry_move(
        locked,
        to=EntryStatus.WITHDRAWN,
        actor=actor,
        roles=entry_roles(locked, actor=actor),
        reason=reason,
        update_fields=["status_reason"],
    )
    signals.announce_on_commit(
        signals.entry_withdrawn, Entry, entry_id=locked.pk, phase_id=phase.pk, author_ids=entry_author_ids(locked)
    )
    return locked


@transaction.atomic
def entry_disqualify(*, entry: Entry, actor: Actor, reason: str) -> Entry:
    """The challenge's owner or staff disqualify a submitted entry, giving the reason its authors see."""
    phase = lock_phase(entry.phase_id)
    locked = lock_entry(entry.pk)
    roles = entry_roles(locked, actor=actor, challenge=phase.challenge)
    ENTRY.require(EntryStatus.DISQUALIFIED, roles)
    reason = reason.strip()
    if not reason:
        message = _("Give the reason for the disqualification.")
        raise ApplicationError(message, {"reason": [message]})
    if locked.status == EntryStatus.DISQUALIFIED:
        return locked
    if phase.status not in (PhaseStatus.OPEN, PhaseStatus.JUDGING):
        raise Conflict(_("Entries can be disqualified only before the phase is awarded."))
    locked.status_reason = reason[:500]
    entry_move(
        locked,
        to=EntryStatus.DISQUALIFIED,
        actor=actor,
        roles=roles,
        reason=reason,
        update_fields=["status_reason"],
    )
    signals.announce_on_commit(
        signals.entry_disqualified,
        Entry,
        entry_id=locked.pk,
        phase_id=phase.pk,
        reason=locked.status_reason,
        author_ids=entry_author_ids(locked),
    )
    return locked
