"""Reasons from higher apps to refuse a challenge move the transition table allows.

The challenges app must not import the apps above it, yet some moves depend on what they hold
(payments refuses taking a challenge back to draft once money for it was received: its budget
and currency must not change under the escrow). They register a guard in their
`AppConfig.ready()`; `challenge_move` asks every guard, under the challenge's row lock, and
refuses the move with the first reason given.
"""

from collections.abc import Callable

from challenges.models import Challenge, ChallengeStatus

# (challenge, from_status, to_status) -> a translated reason to refuse, or None to allow.
ChallengeMoveGuard = Callable[[Challenge, ChallengeStatus, ChallengeStatus], str | None]

_guards: list[ChallengeMoveGuard] = []


def register_challenge_move_guard(guard: ChallengeMoveGuard) -> ChallengeMoveGuard:
    if guard not in _guards:
        _guards.append(guard)
    return guard


def challenge_move_refusal(challenge: Challenge, from_status: str, to_status: str) -> str | None:
    for guard in _guards:
        reason = guard(challenge, ChallengeStatus(from_status), ChallengeStatus(to_status))
        if reason:
            return reason
    return None
