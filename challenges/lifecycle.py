"""The two state machines of the challenges app, each as one explicit table.

A move not in a table is forbidden. Each allowed move names who may make it:

- `SCHEDULE`: the time-driven scheduler (beat sweep and its short ETA tasks), only when the move is due;
- `SYSTEM`: another app's service or task acting on the platform's behalf (payments funding a
  challenge or closing a phase once its payouts are done, submissions awarding a phase);
- `OWNER`, `JUDGE`, `STAFF`: people, by their relation to the challenge.

Each table is a `core.statemachine.StateMachine` (`PHASE`, `CHALLENGE`) with its refusals: a
move not in it is a conflict, a move the actor's roles do not allow is refused. The writers are
`challenges.services.transitions.phase_move` and `challenge_move` (one status each; the
scheduler's batch writer checks the same table for its `SCHEDULE` moves).
"""

from enum import StrEnum

from django.utils.translation import gettext_lazy

from challenges.models import ChallengeStatus, PhaseStatus
from core.statemachine import Move, StateMachine


class Role(StrEnum):
    SCHEDULE = "schedule"
    SYSTEM = "system"
    OWNER = "owner"
    JUDGE = "judge"
    STAFF = "staff"


S, SYS, OWN, STF = Role.SCHEDULE, Role.SYSTEM, Role.OWNER, Role.STAFF
P, C = PhaseStatus, ChallengeStatus

PHASE = StateMachine(
    "phase",
    [
        # Opens at `opens_at`; the owner or staff may open it early.
        Move(P.SCHEDULED, P.OPEN, roles={S, OWN, STF}),
        # Goes to judging at `closes_at`; the owner or staff may close it early.
        Move(P.OPEN, P.JUDGING, roles={S, OWN, STF}),
        # Prizes awarded: the submissions award service moves it (SYSTEM) once it has recorded the
        # awards, whoever the challenge lets award; staff may close judging with no prize given
        # (the unawarded money stays in the budget). A bare "move to awarded" would skip the awards.
        Move(P.JUDGING, P.AWARDED, roles={STF, SYS}),
        # The payouts are done.
        Move(P.AWARDED, P.CLOSED, roles={STF, SYS}),
        # Cancelled before it is awarded; once members have entered, only staff decide.
        Move(P.SCHEDULED, P.CANCELLED, roles={OWN, STF, SYS}),
        Move(P.OPEN, P.CANCELLED, roles={STF, SYS}),
        Move(P.JUDGING, P.CANCELLED, roles={STF, SYS}),
    ],
    labels=lambda status: PhaseStatus(status).label,
    conflict=gettext_lazy("A phase cannot move from “%(from)s” to “%(to)s”."),
    refusal=gettext_lazy("You may not move this phase from “%(from)s” to “%(to)s”."),
)

CHALLENGE = StateMachine(
    "challenge",
    [
        # The client submits the finished draft; the budget is asked for.
        Move(C.DRAFT, C.FUNDING, roles={OWN, STF}),
        # The client takes it back to change it before paying.
        Move(C.FUNDING, C.DRAFT, roles={OWN, STF}),
        # Funded: published, phases run. Only payments opens it, once the escrow covers the budget;
        # nobody can open a challenge whose prizes are not in escrow.
        Move(C.FUNDING, C.OPEN, roles={SYS}),
        # Every phase is closed or cancelled (made automatically by the phase service), or staff say so.
        Move(C.OPEN, C.COMPLETED, roles={STF, SYS}),
        Move(C.DRAFT, C.CANCELLED, roles={OWN, STF, SYS}),
        Move(C.FUNDING, C.CANCELLED, roles={OWN, STF, SYS}),
        Move(C.OPEN, C.CANCELLED, roles={STF, SYS}),
    ],
    labels=lambda status: ChallengeStatus(status).label,
    conflict=gettext_lazy("A challenge cannot move from “%(from)s” to “%(to)s”."),
    refusal=gettext_lazy("You may not move this challenge from “%(from)s” to “%(to)s”."),
)

# Statuses from which a phase never moves again.
PHASE_FINAL = frozenset({PhaseStatus.CLOSED, PhaseStatus.CANCELLED})
# A dependency is met once the required phase has been awarded (and stays met after it closes).
PHASE_AWARDED_OR_LATER = frozenset({PhaseStatus.AWARDED, PhaseStatus.CLOSED})
CHALLENGE_FINAL = frozenset({ChallengeStatus.COMPLETED, ChallengeStatus.CANCELLED})
