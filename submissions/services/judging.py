"""Judging: scores per criterion, recusals from single entries, and the community's votes."""

from collections.abc import Sequence
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from challenges.lifecycle import Role
from challenges.models import Criterion, JudgeAssignment, JudgeStatus, PhaseStatus
from challenges.selectors import challenge_roles, judge_may_score
from community.models import User
from core.exceptions import ApplicationError, Conflict, NotAllowed
from submissions import signals
from submissions.models import Entry, EntryStatus, Recusal, Score, Vote
from submissions.selectors import entry_author_ids, entry_can_view
from submissions.services.common import is_author, lock_entry, lock_phase

MAX_SCORE = 10


@dataclass(frozen=True)
class ScoreInput:
    criterion_id: int
    value: int
    comment: str = ""


def _check_value(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_SCORE:
        message = _("A score is a whole number from 0 to 10.")
        raise ApplicationError(message, {"value": [message]})
    return value


@transaction.atomic
def entry_score(*, judge: User, entry: Entry, scores: Sequence[ScoreInput]) -> list[Score]:
    """Set the judge's scores of the entry (some or all criteria; a second score of a criterion replaces the first).

    Only while the phase is being judged, by an accepted judge who declared no conflict, never on
    an entry they wrote or are recused from.
    """
    phase = lock_phase(entry.phase_id)
    locked = lock_entry(entry.pk)
    if not judge_may_score(user=judge, challenge_id=phase.challenge_id):
        raise NotAllowed(_("Only the challenge's judges who declared no conflict of interest may score."))
    if phase.status != PhaseStatus.JUDGING:
        raise Conflict(_("Entries are scored while the phase is being judged."))
    if locked.status != EntryStatus.SUBMITTED:
        raise Conflict(_("Only submitted entries are scored."))
    if is_author(locked, judge.pk):
        raise NotAllowed(_("A judge never scores their own entry."))
    if Recusal.objects.filter(judge=judge, entry=locked).exists():
        raise NotAllowed(_("You are recused from this entry."))
    if not scores:
        raise ApplicationError(_("Score at least one criterion."))
    criteria = {criterion.pk: criterion for criterion in Criterion.objects.filter(phase=phase)}
    seen: set[int] = set()
    for item in scores:
        if item.criterion_id not in criteria or item.criterion_id in seen:
            message = _("Score each criterion of this phase once.")
            raise ApplicationError(message, {"criterion": [message]})
        seen.add(item.criterion_id)
        _check_value(item.value)
    before = Score.objects.filter(judge=judge, entry=locked).count()
    saved = []
    for item in scores:
        score, _created = Score.objects.update_or_create(
            judge=judge,
            entry=locked,
            criterion=criteria[item.criterion_id],
            defaults={"value": item.value, "comment": item.comment.strip()[:2000]},
        )
        saved.append(score)
    after = Score.objects.filter(judge=judge, entry=locked).count()
    if before < len(criteria) <= after:
        signals.announce_on_commit(
            signals.entry_scored,
            Entry,
            entry_id=locked.pk,
            phase_id=phase.pk,
            judge_id=judge.pk,
            author_ids=entry_author_ids(locked),
        )
    return saved


@transaction.atomic
def entry_recuse(*, judge: User, entry: Entry, reason: str) -> Recusal:
    """A judge declares a conflict with one entry (e.g. a co-worker wrote it): their scores of it are
    removed and the ranking of it rests on the other judges."""
    phase = lock_phase(entry.phase_id)
    locked = lock_entry(entry.pk)
    if not JudgeAssignment.objects.filter(
        challenge_id=phase.challenge_id, judge=judge, status=JudgeStatus.ACCEPTED
    ).exists():
        raise NotAllowed(_("Only the challenge's judges declare conflicts with entries."))
    if phase.status not in (PhaseStatus.OPEN, PhaseStatus.JUDGING):
        raise Conflict(_("Conflicts are declared before the phase is awarded."))
    reason = reason.strip()
    if not reason:
        message = _("Describe the conflict of interest.")
        raise ApplicationError(message, {"reason": [message]})
    recusal, _created = Recusal.objects.get_or_create(judge=judge, entry=locked, defaults={"reason": reason[:500]})
    Score.objects.filter(judge=judge, entry=locked).delete()
    return recusal


def _votable(voter: User, entry: Entry) -> Entry:
    if not entry_can_view(voter, entry):
        raise NotAllowed(_("This entry cannot be voted on."))
    locked = lock_entry(entry.pk)
    if locked.status != EntryStatus.SUBMITTED or locked.phase.status not in (PhaseStatus.OPEN, PhaseStatus.JUDGING):
        raise Conflict(_("Votes are cast on submitted entries until the phase is awarded."))
    if is_author(locked, voter.pk):
        raise NotAllowed(_("You cannot vote on your own entry."))
    return locked


@transaction.atomic
def vote_cast(*, voter: User, entry: Entry) -> Vote:
    """One vote per member and entry; voting twice changes nothing."""
    locked = _votable(voter, entry)
    if challenge_roles(user=voter, challenge=locked.phase.challenge) - {Role.STAFF}:
        raise NotAllowed(_("The challenge's owner and judges do not vote."))
    existing = Vote.objects.filter(voter=voter, entry=locked).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            vote = Vote.objects.create(voter=voter, entry=locked)
    except IntegrityError:  # pragma: no cover - the entry lock makes this a second line of defence
        return Vote.objects.get(voter=voter, entry=locked)
    signals.announce_on_commit(
        signals.vote_cast, Entry, entry_id=locked.pk, voter_id=voter.pk, author_ids=entry_author_ids(locked)
    )
    return vote


@transaction.atomic
def vote_retract(*, voter: User, entry: Entry) -> None:
    locked = _votable(voter, entry)
    deleted, _rows = Vote.objects.filter(voter=voter, entry=locked).delete()
    if deleted:
        signals.announce_on_commit(
            signals.vote_retracted, Entry, entry_id=locked.pk, voter_id=voter.pk, author_ids=entry_author_ids(locked)
        )
