"""Payout providers, chosen by settings: `PAYMENTS_PAYOUT_PROVIDER` names the one new payouts use;
`PAYMENTS_PAYOUT_PROVIDERS` maps every usable name to its class (payouts keep the provider's name
they were created with)."""

from functools import cache

from django.conf import settings
from django.utils.module_loading import import_string

from payments.providers.base import PayoutProvider, PayoutRequest, ProviderError, ProviderResult, ProviderState

__all__ = [
    "PayoutProvider",
    "PayoutRequest",
    "ProviderError",
    "ProviderResult",
    "ProviderState",
    "default_provider_name",
    "provider_for",
]


def default_provider_name() -> str:
    return str(settings.PAYMENTS_PAYOUT_PROVIDER)


@cache
def _load(path: str) -> PayoutProvider:
    provider: PayoutProvider = import_string(path)()
    return provider


def provider_for(name: str) -> PayoutProvider:
    try:
        path = settings.PAYMENTS_PAYOUT_PROVIDERS[name]
    except KeyError as error:
        raise ProviderError(f"No payout provider named {name!r} is configured.", permanent=True) from error
    return _load(path)
