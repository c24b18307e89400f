"""The two state machines of the challenges app, each as one explicit table.

A move not in a table is forbidden. Each allowed move names who may make it:

- `SCHEDULE`: the time-driven scheduler (beat sweep and its short ETA tasks), only when the move is due;
- `SYSTEM`: another app's service or task acting on the platform's behalf (payments funding a
  challenge or closing a phase once its payouts are done, submissions awarding a phase);
- `OWNER`, `JUDGE`, `STAFF`: people, by their relation to the challenge.

`challenges.services.phase_transition` and `challenge_transition` are the only writers of a status.
"""

from enum import StrEnum

from challenges.models import ChallengeStatus, PhaseStatus


class Role(StrEnum):
    SCHEDULE = "schedule"
    SYSTEM = "system"
    OWNER = "owner"
    JUDGE = "judge"
    STAFF = "staff"


S, SYS, OWN, STF = Role.SCHEDULE, Role.SYSTEM, Role.OWNER, Role.STAFF

PHASE_MOVES: dict[tuple[PhaseStatus, PhaseStatus], frozenset[Role]] = {
    # Opens at `opens_at`; the owner or staff may open it early.
    (PhaseStatus.SCHEDULED, PhaseStatus.OPEN): frozenset({S, OWN, STF}),
    # Goes to judging at `closes_at`; the owner or staff may close it early.
    (PhaseStatus.OPEN, PhaseStatus.JUDGING): frozenset({S, OWN, STF}),
    # Prizes awarded: the submissions award service moves it (SYSTEM) once it has recorded the
    # awards, whoever the challenge lets award; staff may close judging with no prize given
    # (the unawarded money stays in the budget). A bare "move to awarded" would skip the awards.
    (PhaseStatus.JUDGING, PhaseStatus.AWARDED): frozenset({STF, SYS}),
    # The payouts are done.
    (PhaseStatus.AWARDED, PhaseStatus.CLOSED): frozenset({STF, SYS}),
    # Cancelled before it is awarded; once members have entered, only staff decide.
    (PhaseStatus.SCHEDULED, PhaseStatus.CANCELLED): frozenset({OWN, STF, SYS}),
    (PhaseStatus.OPEN, PhaseStatus.CANCELLED): frozenset({STF, SYS}),
    (PhaseStatus.JUDGING, PhaseStatus.CANCELLED): frozenset({STF, SYS}),
}

CHALLENGE_MOVES: dict[tuple[ChallengeStatus, ChallengeStatus], frozenset[Role]] = {
    # The client submits the finished draft; the budget is asked for.
    (ChallengeStatus.DRAFT, ChallengeStatus.FUNDING): frozenset({OWN, STF}),
    # The client takes it back to change it before paying.
    (ChallengeStatus.FUNDING, ChallengeStatus.DRAFT): frozenset({OWN, STF}),
    # Funded: published, phases run. Only payments opens it, once the escrow covers the budget;
    # nobody can open a challenge whose prizes are not in escrow.
    (ChallengeStatus.FUNDING, ChallengeStatus.OPEN): frozenset({SYS}),
    # Every phase is closed or cancelled (made automatically by the phase service), or staff say so.
    (ChallengeStatus.OPEN, ChallengeStatus.COMPLETED): frozenset({STF, SYS}),
    (ChallengeStatus.DRAFT, ChallengeStatus.CANCELLED): frozenset({OWN, STF, SYS}),
    (ChallengeStatus.FUNDING, ChallengeStatus.CANCELLED): frozenset({OWN, STF, SYS}),
    (ChallengeStatus.OPEN, ChallengeStatus.CANCELLED): frozenset({STF, SYS}),
}

# Statuses from which a phase never moves again.
PHASE_FINAL = frozenset({PhaseStatus.CLOSED, PhaseStatus.CANCELLED})
# A dependency is met once the required phase has been awarded (and stays met after it closes).
PHASE_AWARDED_OR_LATER = frozenset({PhaseStatus.AWARDED, PhaseStatus.CLOSED})
CHALLENGE_FINAL = frozenset({ChallengeStatus.COMPLETED, ChallengeStatus.CANCELLED})


def phase_move_allowed(from_status: str, to_status: str, roles: set[Role] | frozenset[Role]) -> bool:
    allowed = PHASE_MOVES.get((PhaseStatus(from_status), PhaseStatus(to_status)), frozenset())
    return bool(allowed & roles)


def challenge_move_allowed(from_status: str, to_status: str, roles: set[Role] | frozenset[Role]) -> bool:
    allowed = CHALLENGE_MOVES.get((ChallengeStatus(from_status), ChallengeStatus(to_status)), frozenset())
    return bool(allowed & roles)


def phase_targets(from_status: str, roles: set[Role] | frozenset[Role]) -> list[PhaseStatus]:
    """The statuses `roles` may move a phase to from `from_status` (for buttons and admin actions)."""
    return [to for (frm, to), who in PHASE_MOVES.items() if frm == from_status and who & roles]


def challenge_targets(from_status: str, roles: set[Role] | frozenset[Role]) -> list[ChallengeStatus]:
    return [to for (frm, to), who in CHALLENGE_MOVES.items() if frm == from_status and who & roles]
