"""Judges: invited by e-mail, accept or decline, declare conflicts of interest before scoring.

An invitation binds to a member only through an address that member has confirmed: at once if a
member has confirmed it when invited, otherwise when a member who has confirmed it (then or later,
as primary or second address) answers. An address typed in at sign-up and never confirmed binds
nothing, so signing up with a judge's address gets no one into a sealed challenge."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from challenges import signals
from challenges.lifecycle import CHALLENGE_FINAL
from challenges.models import Challenge, JudgeAssignment, JudgeStatus
from challenges.services.common import lock_challenge, require_editor, validate
from challenges.services.notify import judge_send_invitation
from community.models import User
from community.selectors import claimed_emails_of, has_confirmed_email, user_by_confirmed_email
from core.exceptions import ApplicationError, Conflict, NotAllowed


@transaction.atomic
def judge_invite(*, challenge: Challenge, by: User, email: str) -> JudgeAssignment:
    """Invite the person at `email` to judge (mailed after commit); they may join Coachworks later."""
    locked = lock_challenge(challenge.pk)
    require_editor(by=by, challenge=locked)
    if locked.status in CHALLENGE_FINAL:
        raise ApplicationError(_("A completed or cancelled challenge cannot be changed."))
    email = User.objects.normalize_email(email.strip()).lower()
    if email == locked.owner.email.lower() or has_confirmed_email(locked.owner, email):
        message = _("The client cannot judge their own challenge.")
        raise ApplicationError(message, {"email": [message]})
    if JudgeAssignment.objects.filter(challenge=locked, email=email).exists():
        raise ApplicationError(
            _("%(email)s is already invited.") % {"email": email}, {"email": [_("Already invited.")]}
        )
    judge = user_by_confirmed_email(email)
    if judge is not None and JudgeAssignment.objects.filter(challenge=locked, judge=judge).exists():
        judge = None  # already invited at another of their addresses; answering this one is refused
    assignment = JudgeAssignment(challenge=locked, email=email, judge=judge, invited_by=by)
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
    """The assignment, locked, if `user` answers for it: bound to them, or unbound and sent to an
    address they have confirmed."""
    locked = JudgeAssignment.objects.select_for_update(of=("self",)).select_related("challenge").get(pk=assignment.pk)
    if locked.judge_id == user.pk:
        return locked
    if locked.judge_id is None and has_confirmed_email(user, locked.email):
        return locked
    if locked.judge_id is None and locked.email in {user.email.lower(), *claimed_emails_of(user)}:
        raise NotAllowed(
            _(
                "This invitation was sent to %(email)s, which you have not confirmed yet. Confirm it in your "
                "e-mail settings, then answer the invitation."
            )
            % {"email": locked.email}
        )
    raise NotAllowed(_("This invitation was sent to someone else."))


@transaction.atomic
def judge_respond(*, assignment: JudgeAssignment, user: User, accept: bool) -> JudgeAssignment:
    """Accept or decline an invitation (a judge may also step down later, or change their mind)."""
    locked = _lock_assignment_of(assignment, user)
    if locked.challenge.status in CHALLENGE_FINAL:
        raise ApplicationError(_("This challenge is over."))
    if locked.challenge.owner_id == user.pk:
        raise NotAllowed(_("The client cannot judge their own challenge."))
    status = JudgeStatus.ACCEPTED if accept else JudgeStatus.DECLINED
    if locked.status == status:
        return locked
    if JudgeAssignment.objects.filter(challenge_id=locked.challenge_id, judge=user).exclude(pk=locked.pk).exists():
        raise Conflict(_("You are already a judge of this challenge (invited at another of your addresses)."))
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
