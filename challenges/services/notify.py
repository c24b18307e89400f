"""Telling people: the owner of a waiting phase, an invited judge.

Mail goes out from a Celery task after the transaction commits. The community app's
notifications will take these over; until then each is one function here.
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
