"""The payout's state machine: every allowed move, who may make it, and why others are refused.

Who acts on a payout (`payout_roles`):

- `SYSTEM`: the platform's own tasks and services (`Actor.system("payments.payout_execute")`): workers
  claim, send and finish payouts; the sweep and the phase close act this way too;
- `PROVIDER`: a payout provider telling us what happened to a payout it was sent, as its webhook does
  (`Actor.system("provider:<code>")`); it may speak only of payouts sent through it;
- `STAFF`: a staff member (`Actor.user(staff)`), settling transfers made by hand and retrying failures.

`payments.services.payouts.payout_move` is the only writer of a payout's status.
"""

from enum import StrEnum
from typing import TYPE_CHECKING

from django.utils.translation import gettext_lazy as _

from core.statemachine import Move, StateMachine
from payments.models import PayoutStatus

if TYPE_CHECKING:
    from core.actors import Actor


PROVIDER_PREFIX = "provider:"


class Role(StrEnum):
    SYSTEM = "system"
    PROVIDER = "provider"
    STAFF = "staff"


SYS, PRV, STF = Role.SYSTEM, Role.PROVIDER, Role.STAFF
P = PayoutStatus

_WORKERS_ONLY = _("Only the payout workers send payouts.")

PAYOUT = StateMachine(
    "payout",
    [
        # A worker claims it (`payout_execute`).
        Move(P.PENDING, P.PROCESSING, roles={SYS}, refusal=_WORKERS_ONLY),
        # The claim's worker died: another one takes it over (recorded, the status stays).
        Move(P.PROCESSING, P.PROCESSING, roles={SYS}, refusal=_WORKERS_ONLY),
        # The provider failed; tried again later.
        Move(P.PROCESSING, P.PENDING, roles={SYS}, refusal=_WORKERS_ONLY),
        # The provider accepted it and pays later (the manual provider's SEPA batch, a webhook to come).
        Move(P.PROCESSING, P.SUBMITTED, roles={SYS}, refusal=_WORKERS_ONLY),
        # The provider paid it.
        Move(P.PROCESSING, P.PAID, roles={SYS}, refusal=_WORKERS_ONLY),
        # The provider refused it, or the last attempt failed.
        Move(P.PROCESSING, P.FAILED, roles={SYS}, refusal=_WORKERS_ONLY),
        # Staff (a transfer by hand, a SEPA batch paid) or the provider (its webhook) confirm the payment.
        Move(
            P.SUBMITTED,
            P.PAID,
            roles={STF, SYS, PRV},
            refusal=_("Only staff or the payout's provider confirm that a payout was paid."),
        ),
        # The bank or provider refused it before paying (not in an exported batch).
        Move(
            P.SUBMITTED,
            P.FAILED,
            roles={STF, SYS, PRV},
            refusal=_("Only staff or the payout's provider record that a payout failed."),
        ),
        # The bank returned it after it was paid; the ledger reverses the payment.
        Move(P.PAID, P.FAILED, roles={STF}, refusal=_("Only staff record payouts returned by the bank.")),
        # Staff retry it.
        Move(P.FAILED, P.PENDING, roles={STF, SYS}, refusal=_("Only staff retry failed payouts.")),
    ],
)


def provider_code_of(actor: "Actor") -> str:
    """The provider a `provider:<code>` system actor speaks for, or "" for any other actor."""
    if actor.is_system and actor.system_name.startswith(PROVIDER_PREFIX):
        return actor.system_name.removeprefix(PROVIDER_PREFIX)
    return ""


def payout_roles(actor: "Actor", *, provider: str = "") -> set[Role]:
    """The roles `actor` has on a payout sent through `provider` (a provider only on its own payouts)."""
    if actor.is_system:
        code = provider_code_of(actor)
        if not code:
            return {Role.SYSTEM}
        return {Role.PROVIDER} if code == provider else set()
    member = actor.member
    return {Role.STAFF} if member is not None and getattr(member, "is_staff", False) else set()
