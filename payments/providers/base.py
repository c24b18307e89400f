"""The one interface every payout provider implements (`PAYMENTS_PAYOUT_PROVIDERS` lists them).

A provider receives a `PayoutRequest` carrying the payout's idempotency key and must pay each key
at most once: a request repeated with the same key (after a crash, a retry, a second worker)
answers with the first result instead of paying again. It is called without any row lock held.
"""

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Protocol


class ProviderState(StrEnum):
    PAID = "paid"  # the money left: the ledger records the payout now
    SUBMITTED = "submitted"  # accepted, paid later (a bank batch staff will send, a webhook to come)
    UNKNOWN = "unknown"  # the provider has never seen the key


@dataclass(frozen=True)
class PayoutRequest:
    idempotency_key: str
    payout_id: int
    amount: Decimal
    currency: str
    holder_name: str
    iban: str
    bic: str
    description: str


@dataclass(frozen=True)
class ProviderResult:
    state: ProviderState
    reference: str = ""


class ProviderError(Exception):
    """The provider refused or failed. `permanent` errors are not retried (a closed account)."""

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


class PayoutProvider(Protocol):
    name: str

    def pay(self, request: PayoutRequest) -> ProviderResult:
        """Send the payout (or accept it for a later batch). Same key, same result, paid once."""
        ...

    def lookup(self, idempotency_key: str) -> ProviderResult:
        """What the provider knows about a key, for reconciliation."""
        ...
