"""Writes of the challenges app; views, APIs, admin actions, commands and tasks all call these."""

from challenges.services.challenges import (
    challenge_create,
    challenge_invite_member,
    challenge_uninvite_member,
    challenge_update,
)
from challenges.services.common import lock_challenge
from challenges.services.judges import judge_declare_conflicts, judge_invite, judge_respond, judge_uninvite
from challenges.services.notify import judge_send_invitation, phase_owner_notify_held
from challenges.services.phases import (
    CriterionData,
    phase_builds_on_set,
    phase_create,
    phase_criteria_set,
    phase_delete,
    phase_editable_fields,
    phase_prizes_set,
    phase_update,
)
from challenges.services.transitions import (
    Advance,
    AdvanceResult,
    SweepReport,
    challenge_cancel,
    challenge_mark_funded,
    challenge_submit_for_funding,
    challenge_transition,
    challenge_withdraw_from_funding,
    phase_advance_due,
    phase_deadline,
    phase_transition,
    phases_sweep,
)

__all__ = [
    "Advance",
    "AdvanceResult",
    "CriterionData",
    "SweepReport",
    "challenge_cancel",
    "challenge_create",
    "challenge_invite_member",
    "challenge_mark_funded",
    "challenge_submit_for_funding",
    "challenge_transition",
    "challenge_uninvite_member",
    "challenge_update",
    "challenge_withdraw_from_funding",
    "judge_declare_conflicts",
    "judge_invite",
    "judge_respond",
    "judge_send_invitation",
    "judge_uninvite",
    "lock_challenge",
    "phase_advance_due",
    "phase_builds_on_set",
    "phase_create",
    "phase_criteria_set",
    "phase_deadline",
    "phase_delete",
    "phase_editable_fields",
    "phase_owner_notify_held",
    "phase_prizes_set",
    "phase_transition",
    "phase_update",
    "phases_sweep",
]
