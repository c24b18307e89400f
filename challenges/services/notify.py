"""Mail this app sends itself: to the owner of a phase that could not open on time, and the
invitation to a judge's e-mail address. Each goes out from a Celery task after the transaction commits.

Both stay here, beside the community app's notifications rather than replaced by them: an invitation
goes to an address that may not belong to a member yet (its link is how they answer), and a held
phase needs its owner whatever their notification settings. The events are announced as well
(`signals.phase_held`, `signals.judge_invited`, on commit): community turns `judge_invited` into an
in-app notice for a member who has confirmed the address (`challenges/community_events.py`), so such a
judge hears of it twice, by mail and in the app; nothing listens to `phase_held` today.
"""

from django.db import transaction

from challenges import signals
from challenges.models import JudgeAssignment, Phase, PhaseHold


def phase_owner_notify_held(*, phase: Phase, reason: str) -> None:
    """The phase could not open on time: tell its owner (mail; the dashboard lists it too)."""
    phase_id, challenge_id = phase.pk, phase.challenge_id

    def send() -> None:
        from challenges.tasks import notify_owner_phase_held

        notify_owner_phase_held.delay(phase_id, str(reason))

    transaction.on_commit(send)
    signals.announce_on_commit(
        signals.phase_held, Phase, phase_id=phase_id, challenge_id=challenge_id, reason=str(PhaseHold(reason))
    )


def judge_send_invitation(*, assignment: JudgeAssignment) -> None:
    assignment_id = assignment.pk

    def send() -> None:
        from challenges.tasks import send_judge_invitation

        send_judge_invitation.delay(assignment_id)

    transaction.on_commit(send)
