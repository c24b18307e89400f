"""Payout providers, by code: each registers itself (`register_provider`, from an `AppConfig.ready()`
or, for a test, its module), and `provider_for(code)` finds it.

A member's payout method names the provider it pays through; a payout is sent through its
member's method's provider when a worker first claims it (`payments.services.payouts.payout_claim`).
Providers may also be configured by settings: `PAYMENTS_PAYOUT_PROVIDERS` maps codes to classes
(`PAYMENTS_EXTRA_PROVIDERS` adds some per deployment, the test bank say), loaded when first asked for.
New bank accounts (IBAN) pay through `PAYMENTS_PAYOUT_PROVIDER` ("manual": SEPA files staff send).
"""

from typing import TypeVar

from django.conf import settings
from django.utils.module_loading import import_string

from payments.providers.base import (
    Destination,
    DestinationField,
    PayoutProvider,
    PayoutRequest,
    ProviderError,
    ProviderResult,
    ProviderState,
)

__all__ = [
    "Destination",
    "DestinationField",
    "PayoutProvider",
    "PayoutRequest",
    "ProviderError",
    "ProviderResult",
    "ProviderState",
    "bank_account_provider_code",
    "provider_for",
    "register_provider",
    "registered_providers",
]

_registry: dict[str, PayoutProvider] = {}
AnyProvider = TypeVar("AnyProvider", bound=PayoutProvider)
_configured: dict[str, tuple[str, PayoutProvider]] = {}


def register_provider(provider: AnyProvider) -> AnyProvider:
    """Make `provider` usable under its `code`. Registering a code again replaces the provider."""
    if not provider.code or len(provider.code) > 30:
        raise ValueError("A payout provider's code is 1 to 30 characters.")
    _registry[provider.code] = provider
    return provider


def registered_providers() -> list[PayoutProvider]:
    return [_registry[code] for code in sorted(_registry)]


def provider_for(code: str) -> PayoutProvider:
    """The provider registered (or configured in `PAYMENTS_PAYOUT_PROVIDERS`) under `code`."""
    if code in _registry:
        return _registry[code]
    path = settings.PAYMENTS_PAYOUT_PROVIDERS.get(code)
    if path is None:
        raise ProviderError(f"No payout provider named {code!r} is registered.", permanent=True)
    loaded = _configured.get(code)
    if loaded is None or loaded[0] != path:
        loaded = (path, import_string(path)())
        _configured[code] = loaded
    return loaded[1]


def bank_account_provider_code() -> str:
    """The provider a member's bank account (IBAN) pays through."""
    return str(settings.PAYMENTS_PAYOUT_PROVIDER)
