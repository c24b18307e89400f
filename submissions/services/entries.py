"""Entries: created and submitted after the eligibility check, their revision replaced while the
phase is open (every revision kept in the history), withdrawn by the lead author, disqualified
by the owner or staff with a reason."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from blueprints.models import Revision
from challenges.lifecycle import Role
from challenges.models import Phase, PhaseStatus
from challenges.selectors import challenge_roles
from community.models import User
from core.exceptions import ApplicationError
from submissions import signals
from submissions.models import Entry, EntryAuthor, EntryRevision, EntryStatus, EntryStatusChange
from submissions.selectors import entry_author_ids, entry_eligibility, revision_problems
from submissions.services.common import lock_entry, lock_phase

HUNDRED = Decimal(100)

# The entry state machine: every allowed move, and nothing else.
ENTRY_MOVES: dict[str, frozenset[str]] = {
    EntryStatus.DRAFT: frozenset({EntryStatus.SUBMITTED, EntryStatus.WITHDRAWN}),
    EntryStatus.SUBMITTED: frozenset({EntryStatus.WITHDRAWN, EntryStatus.DISQUALIFIED}),
    EntryStatus.WITHDRAWN: frozenset(),
    EntryStatus.DISQUALIFIED: frozenset(),
}


@dataclass(frozen=True)
class CoAuthor:
    user: User
    share: Decimal  # percent of any prize


def _refuse(eligibility_reasons: dict[str, str]) -> ApplicationError:
    messages = list(eligibility_reasons.values())
    return ApplicationError(messages[0], {"eligibility": messages, "codes": list(eligibility_reasons)})


def _lead_share(user: User, co_authors: Sequence[CoAuthor]) -> Decimal:
    seen = {user.pk}
    total = Decimal(0)
    for co_author in co_authors:
        try:
            share = Decimal(co_author.share).quantize(Decimal("0.01"))
        except (InvalidOperation, TypeError) as error:
            raise ApplicationError(_("A prize share is a percentage."), {"co_authors": [_("Not a number.")]}) from error
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


def _record(entry: Entry, *, to: str, by: User | None, reason: str = "") -> None:
    from_status = entry.status
    if to not in ENTRY_MOVES[from_status]:
        raise ApplicationError(
            _("An entry cannot move from “%(from)s” to “%(to)s”.")
            % {"from": EntryStatus(from_status).label, "to": EntryStatus(to).label}
        )
    entry.status = to
    EntryStatusChange.objects.create(entry=entry, from_status=from_status, to_status=to, actor=by, reason=reason[:500])


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
    """Enter `revision` into the phase (or keep it as a draft, `submit=False`). Every rule is checked first."""
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
        reasons.pop("limit", None)  # a draft uses no entry until it is submitted
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
    EntryAuthor.objects.create(entry=entry, user=user, share=lead_share, is_lead=True)
    EntryAuthor.objects.bulk_create(
        [EntryAuthor(entry=entry, user=c.user, share=Decimal(c.share).quantize(Decimal("0.01"))) for c in co_authors]
    )
    if builds_on:
        entry.builds_on.set(list(builds_on))
    EntryRevision.objects.create(entry=entry, revision=revision, set_by=user)
    if submit:
        _record(entry, to=EntryStatus.SUBMITTED, by=user)
        entry.submitted_at = now
        entry.save(update_fields=["status", "submitted_at", "updated_at"])
        _announce_submitted(entry, locked)
    return entry


def _require_lead(entry: Entry, user: User) -> None:
    if entry.lead_author_id != user.pk:
        raise ApplicationError(_("Only the lead author can change this entry."))


@transaction.atomic
def entry_submit(*, entry: Entry, user: User, now: datetime | None = None) -> Entry:
    """Submit a draft, after the same checks as entering."""
    now = now or timezone.now()
    phase = lock_phase(entry.phase_id)
    locked = lock_entry(entry.pk)
    _require_lead(locked, user)
    if locked.status == EntryStatus.SUBMITTED:
        return locked
    co_authors = [a.user for a in locked.authors.select_related("user").filter(is_lead=False)]
    eligibility = entry_eligibility(
        user=user,
        phase=phase,
        revision=locked.revision,
        co_authors=co_authors,
        builds_on_ids=list(locked.builds_on.values_list("pk", flat=True)),
        now=now,
    )
    if not eligibility.ok:
        raise _refuse(eligibility.reasons)
    _record(locked, to=EntryStatus.SUBMITTED, by=user)
    locked.submitted_at = now
    locked.save(update_fields=["status", "submitted_at", "updated_at"])
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
        raise ApplicationError(_("A withdrawn or disqualified entry cannot be changed."))
    if phase.status != PhaseStatus.OPEN or phase.closes_at <= now:
        raise ApplicationError(_("The revision can only be replaced until the phase closes."))
    revision = Revision.objects.select_related("blueprint").get(pk=revision.pk)
    if revision.pk == locked.revision_id:
        return locked
    authors = [a.user for a in locked.authors.select_related("user")]
    problems = revision_problems(revision=revision, authors=authors)
    if problems:
        raise _refuse(problems)
    locked.revision = revision
    locked.save(update_fields=["revision", "updated_at"])
    EntryRevision.objects.create(entry=locked, revision=revision, set_by=user)
    return locked


@transaction.atomic
def entry_withdraw(*, entry: Entry, user: User, reason: str = "") -> Entry:
    """The lead author takes the entry back (no longer counted, no longer judged) until the phase is awarded."""
    phase = lock_phase(entry.phase_id)
    locked = lock_entry(entry.pk)
    _require_lead(locked, user)
    if locked.status == EntryStatus.WITHDRAWN:
        return locked
    if phase.status not in (PhaseStatus.OPEN, PhaseStatus.JUDGING):
        raise ApplicationError(_("An entry can be withdrawn only while its phase is open or being judged."))
    _record(locked, to=EntryStatus.WITHDRAWN, by=user, reason=reason)
    locked.status_reason = reason.strip()[:500]
    locked.save(update_fields=["status", "status_reason", "updated_at"])
    signals.announce_on_commit(signals.entry_withdrawn, Entry, entry_id=locked.pk, phase_id=phase.pk)
    return locked


@transaction.atomic
def entry_disqualify(*, entry: Entry, by: User, reason: str) -> Entry:
    """The challenge's owner or staff disqualify a submitted entry, giving the reason its authors see."""
    phase = lock_phase(entry.phase_id)
    locked = lock_entry(entry.pk)
    if not challenge_roles(user=by, challenge=phase.challenge) & {Role.OWNER, Role.STAFF}:
        raise ApplicationError(_("Only the challenge's owner or staff may disqualify an entry."))
    reason = reason.strip()
    if not reason:
        message = _("Give the reason for the disqualification.")
        raise ApplicationError(message, {"reason": [message]})
    if locked.status == EntryStatus.DISQUALIFIED:
        return locked
    if phase.status not in (PhaseStatus.OPEN, PhaseStatus.JUDGING):
        raise ApplicationError(_("Entries can be disqualified only before the phase is awarded."))
    _record(locked, to=EntryStatus.DISQUALIFIED, by=by, reason=reason)
    locked.status_reason = reason[:500]
    locked.save(update_fields=["status", "status_reason", "updated_at"])
    signals.announce_on_commit(
        signals.entry_disqualified,
        Entry,
        entry_id=locked.pk,
        phase_id=phase.pk,
        reason=locked.status_reason,
        author_ids=entry_author_ids(locked),
    )
    return locked
