"""Room for a card/Connect provider (Stripe Connect, Adyen for Platforms, ...). Not usable yet.

It is deliberately not listed in `PAYMENTS_PAYOUT_PROVIDERS`. A real implementation would:

- `pay`: create a transfer/payout to the member's connected account with the payout's
  `idempotency_key` as the provider's idempotency key (Stripe: the `Idempotency-Key` header),
  answer `PAID` when the provider confirms it synchronously or `SUBMITTED` when a webhook will;
- raise `ProviderError(permanent=True)` for refusals that retrying cannot fix (account closed,
  KYC missing), `ProviderError` for timeouts and 5xx (retried with backoff);
- `lookup`: fetch the transfer by the idempotency key / metadata for reconciliation;
- a webhook view calling `payout_mark_paid` / `payout_mark_failed` for `SUBMITTED` payouts.

Funding by card would add a `funding_checkout(challenge)` beside the manual provider's bank
details, and record receipts from the provider's webhook instead of staff.
"""

from payments.providers.base import PayoutRequest, ProviderResult


class ConnectProviderStub:
    name = "connect"

    def pay(self, request: PayoutRequest) -> ProviderResult:
        raise NotImplementedError("The Connect provider is not implemented yet; see this module's docstring.")

    def lookup(self, idempotency_key: str) -> ProviderResult:
        raise NotImplementedError("The Connect provider is not implemented yet; see this module's docstring.")
