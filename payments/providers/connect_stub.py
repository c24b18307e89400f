"""Room for a card/Connect provider (Stripe Connect, Adyen for Platforms, ...). Not usable yet.

It is deliberately not registered (nor listed in `PAYMENTS_PAYOUT_PROVIDERS`), so members cannot
choose it. A real implementation would:

- declare the destination it needs (`destination_fields`: the member's connected-account id, say)
  and check it in `clean_destination` (the account exists and can receive payouts);
- `pay`: create a transfer/payout to the member's connected account (`request.destination`) with
  the payout's `idempotency_key` as the provider's idempotency key (Stripe: the `Idempotency-Key`
  header), answer `PAID` when the provider confirms it synchronously or `SUBMITTED` when a webhook will;
- raise `ProviderError(permanent=True)` for refusals that retrying cannot fix (account closed,
  KYC missing), `ProviderError` for timeouts and 5xx (retried with backoff);
- `lookup`: fetch the transfer by the idempotency key / metadata for reconciliation;
- be registered with `payments.providers.register_provider(...)` in `PaymentsConfig.ready()`;
- have a webhook view that verifies the provider's signature and calls
  `payout_mark_paid(payout=..., actor=Actor.system("provider:connect"))` (or `payout_mark_failed`)
  for its `SUBMITTED` payouts: the payout machine lets a provider settle only its own payouts.

`payments/tests/test_new_provider.py` shows the whole path with a card provider defined in the test.
Funding by card would add a `funding_checkout(challenge)` beside the manual provider's bank
details, and record receipts from the provider's webhook instead of staff.
"""

from collections.abc import Mapping
from typing import Any

from payments.providers.base import Destination, DestinationField, PayoutRequest, ProviderResult

NOT_YET = "The Connect provider is not implemented yet; see this module's docstring."


class ConnectProviderStub:
    code = "connect"
    label = "Connect"
    destination_fields: tuple[DestinationField, ...] = ()

    def clean_destination(self, destination: Mapping[str, Any]) -> Destination:
        raise NotImplementedError(NOT_YET)

    def pay(self, request: PayoutRequest) -> ProviderResult:
        raise NotImplementedError(NOT_YET)

    def lookup(self, idempotency_key: str) -> ProviderResult:
        raise NotImplementedError(NOT_YET)
