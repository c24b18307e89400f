"""Judges: invited by e-mail, accept or decline, declare conflicts of interest before scoring."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from challenges import signals
from challenges.lifecycle import CHALLENGE_FINAL
from challenges.models import Challenge, JudgeAssignment, JudgeStatus
from challenges.services.common import lock_challenge, require_editor, validate
from challenges.services.notify import judge_send_invitation
from community.models import User
from core.exceptions import ApplicationError


@transaction.atomic
def judge_invite(*, challenge: Challenge, by: User, email: str) -> JudgeAssignment:
    """Invite the person at `email` to judge (mailed after commit); they may join Coachworks later."""
    locked = lock_challenge(challenge.pk)
    require_editor(by=by, challenge=locked)
    if locked.status in CHALLENGE_FINAL:
        raise ApplicationError(_("A completed or cancelled challenge cannot be changed."))
    email = User.objects.normalize_email(email.strip()).lower()
    if email == locked.owner.email.lower():
        message = _("The client cannot judge their own challenge.")
        raise ApplicationError(message, {"email": [message]})
    if JudgeAssignment.objects.filter(challenge=locked, email=email).exists():
        raise ApplicationError(
            _("%(email)s is already invited.") % {"email": email}, {"email": [_("Already invited.")]}
        )
    assignment = JudgeAssignment(
        challenge=locked,
        email=email,
        judge=User.objects.filter(email__iexact=email).first(),
        invited_by=by,
    )
    validate(assignment, exclude=["challenge", "judge", "invited_by"])
    assignment.save()
    judge_send_invitation(assignment=assignment)
    signals.announce_on_commit(
        signals.judge_invited, JudgeAssignment, assignment_id=assignment.pk, challenge_id=locked.pk, email=email
    )
    return assignment


@transaction.atomic
def judge_uninvite(*, assignment: JudgeAssignment, by: User) -> None:
    locked = lock_challenge(assignment.challenge_id)
    require_editor(by=by, challenge=locked)
    JudgeAssignment.objects.filter(pk=assignment.pk).delete()


def _lock_assignment_of(assignment: JudgeAssignment, user: User) -> JudgeAssignment:
    locked = JudgeAssignment.objects.select_for_update(of=("self",)).select_related("challenge").get(pk=assignment.pk)
    if locked.email.lower() != user.email.lower() and locked.judge_id != user.pk:
        raise ApplicationError(_("This invitation was sent to someone else."))
    return locked


@transaction.atomic
def judge_respond(*, assignment: JudgeAssignment, user: User, accept: bool) -> JudgeAssignment:
    """Accept or decline an invitation (a judge may also step down later, or change their mind)."""
    locked = _lock_assignment_of(assignment, user)
    if locked.challenge.status in CHALLENGE_FINAL:
        raise ApplicationError(_("This challenge is over."))
    status = JudgeStatus.ACCEPTED if accept else JudgeStatus.DECLINED
    if locked.status == status:
        return locked
    locked.judge = user
    locked.status = status
    locked.responded_at = timezone.now()
    locked.save(update_fields=["judge", "status", "responded_at", "updated_at"])
    signals.announce_on_commit(
        signals.judge_responded,
        JudgeAssignment,
        assignment_id=locked.pk,
        challenge_id=locked.challenge_id,
        judge_id=user.pk,
        accepted=accept,
    )
    return locked


@transaction.atomic
def judge_declare_conflicts(
    *, assignment: JudgeAssignment, user: User, has_conflict: bool, statement: str = ""
) -> JudgeAssignment:
    """The declaration every judge makes before scoring; a declared conflict keeps them from scoring."""
    locked = _lock_assignment_of(assignment, user)
    if locked.status != JudgeStatus.ACCEPTED:
        raise ApplicationError(_("Accept the invitation first."))
    statement = statement.strip()
    if has_conflict and not statement:
        message = _("Describe the conflict of interest.")
        raise ApplicationError(message, {"statement": [message]})
    locked.has_conflict = has_conflict
    locked.conflict_statement = statement[:2000]
    locked.conflict_declared_at = timezone.now()
    locked.save(update_fields=["has_conflict", "conflict_statement", "conflict_declared_at", "updated_at"])
    return locked
