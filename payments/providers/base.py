"""The one interface every payout provider implements, and what it is given and answers.

A provider declares its `code` (kept on payout methods, payouts and its clearing account), a
`label` members see, the `destination_fields` a member fills in to be paid through it, and how to
validate them (`clean_destination`). Payments stores the cleaned destination as an opaque mapping
and hands it back in every `PayoutRequest`: only the provider reads what is inside.

A provider receives a `PayoutRequest` carrying the payout's idempotency key and must pay each key
at most once: a request repeated with the same key (after a crash, a retry, a second worker)
answers with the first result instead of paying again. It is called without any row lock held.
A provider that pays later (`SUBMITTED`) confirms through `payments.services.payout_mark_paid` /
`payout_mark_failed` with `Actor.system("provider:<code>")`, as its webhook view would.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Any, Protocol


class ProviderState(StrEnum):
    PAID = "paid"  # the money left: the ledger records the payout now
    SUBMITTED = "submitted"  # accepted, paid later (a bank batch staff will send, a webhook to come)
    UNKNOWN = "unknown"  # the provider has never seen the key


@dataclass(frozen=True)
class DestinationField:
    """One thing a member fills in to be paid through a provider (an IBAN, a card token ...)."""

    name: str
    label: Any  # a lazy translated string
    required: bool = True
    max_length: int = 100
    help_text: Any = ""


@dataclass(frozen=True)
class Destination:
    """A destination as the provider cleaned it: what payments stores (opaque to it), and how to show it
    without revealing it (`NL91 •••• 4300`)."""

    data: Mapping[str, str]
    shown_as: str


@dataclass(frozen=True)
class PayoutRequest:
    idempotency_key: str
    payout_id: int
    amount: Decimal
    currency: str
    holder_name: str
    # The member's destination as the provider cleaned it (`PayoutProvider.clean_destination`).
    destination: Mapping[str, str] = field(default_factory=dict)
    description: str = ""


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
    @property
    def code(self) -> str:
        """Kept on payout methods, payouts and the provider's clearing account (at most 30 characters)."""
        ...

    @property
    def label(self) -> Any:
        """What members see when they choose it (a lazy translated string)."""
        ...

    @property
    def destination_fields(self) -> tuple[DestinationField, ...]:
        """What a member fills in to be paid through it."""
        ...

    def clean_destination(self, destination: Mapping[str, Any]) -> Destination:
        """The destination validated and normalised, or `ApplicationError` with a message per field."""
        ...

    def pay(self, request: PayoutRequest) -> ProviderResult:
        """Send the payout (or accept it for a later batch). Same key, same result, paid once."""
        ...

    def lookup(self, idempotency_key: str) -> ProviderResult:
        """What the provider knows about a key, for reconciliation."""
        ...
