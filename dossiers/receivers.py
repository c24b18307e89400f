"""What the dossiers app does when other apps announce something (connected in `apps.ready`).

A version is recorded right in the receiver, after the award or completion has committed: it is a
handful of queries under the dossier's row lock, and `dossier_version_record` is idempotent (the
same awards and completeness find the version they made). Should it fail (logged by
`send_robust`), the next award or the completion records a version holding everything anyway.
"""

from typing import Any

from challenges.models import ChallengeStatus
from challenges.signals import challenge_transitioned
from dossiers.services import dossier_version_record
from submissions.signals import phase_awarded


def on_phase_awarded(sender: Any, *, challenge_id: int, **kwargs: Any) -> None:
    dossier_version_record(challenge_id=challenge_id)


def on_challenge_transitioned(sender: Any, *, challenge_id: int, to_status: str, **kwargs: Any) -> None:
    """A completed challenge's dossier is complete: one more version says so (none before any award)."""
    if to_status == ChallengeStatus.COMPLETED:
        dossier_version_record(challenge_id=challenge_id)


def connect() -> None:
    phase_awarded.connect(on_phase_awarded, dispatch_uid="dossiers.version_on_award")
    challenge_transitioned.connect(on_challenge_transitioned, dispatch_uid="dossiers.version_on_completion")
