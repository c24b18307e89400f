"""System checks that refuse to run a public site on development values (see README, "Production settings").

They are errors, not warnings, and run on every command that checks (`migrate`, `runserver`, `check`,
the Docker image's start), not only under `check --deploy`: the development SECRET_KEY lets anyone
forge e-mail confirmations, password-reset links and sessions, and the example IBAN would send
clients' money to a stranger's bank account. With DEBUG on (`make run`) they stay silent.
"""

from collections.abc import Iterable, Sequence
from typing import Any

from django.apps import AppConfig
from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, register
from schwifty import BIC, IBAN
from schwifty.exceptions import SchwiftyException

# Django's own bar for a strong key (security.W009), here an error when DEBUG is off.
SECRET_KEY_MIN_LENGTH = 50
SECRET_KEY_MIN_UNIQUE_CHARACTERS = 5
# The standard example IBAN (Commerzbank Köln) printed in every IBAN tutorial, and its bank's BIC.
EXAMPLE_IBAN = "DE89370400440532013000"
EXAMPLE_BIC = "COBADEFFXXX"

GENERATE_KEY = (
    "Set SECRET_KEY to a long random value, e.g. the output of "
    '`python -c "import secrets; print(secrets.token_urlsafe(64))"`.'
)


def weak_secret_key_reason(key: str) -> str | None:
    """Why `key` must not sign anything on a public site, or None when it is strong enough."""
    if key == getattr(settings, "DEVELOPMENT_SECRET_KEY", None):
        return "it is the development default from config/settings.py, which anyone can read"
    if key.startswith("django-insecure"):
        return "it is a key Django generated for development (prefix 'django-insecure')"
    if len(key) < SECRET_KEY_MIN_LENGTH:
        return f"it has {len(key)} characters, fewer than {SECRET_KEY_MIN_LENGTH}"
    if len(set(key)) < SECRET_KEY_MIN_UNIQUE_CHARACTERS:
        return f"it has fewer than {SECRET_KEY_MIN_UNIQUE_CHARACTERS} different characters"
    return None


@register(Tags.security)
def secret_key_is_not_for_development(app_configs: Sequence[AppConfig] | None, **kwargs: Any) -> Iterable[CheckMessage]:
    if settings.DEBUG:
        return []
    errors: list[CheckMessage] = []
    reason = weak_secret_key_reason(settings.SECRET_KEY)
    if reason:
        errors.append(
            Error(f"SECRET_KEY must not be used with DEBUG off: {reason}.", hint=GENERATE_KEY, id="core.E001")
        )
    for position, fallback in enumerate(getattr(settings, "SECRET_KEY_FALLBACKS", [])):
        reason = weak_secret_key_reason(fallback)
        if reason:
            errors.append(
                Error(
                    f"SECRET_KEY_FALLBACKS[{position}] still verifies signatures and must not be used: {reason}.",
                    hint="Remove it from SECRET_KEY_FALLBACKS.",
                    id="core.E002",
                )
            )
    return errors


@register(Tags.security)
def platform_bank_account_is_real(app_configs: Sequence[AppConfig] | None, **kwargs: Any) -> Iterable[CheckMessage]:
    """Clients transfer budgets to PAYMENTS_BANK_IBAN and SEPA payout files are paid from it."""
    if settings.DEBUG:
        return []
    iban_setting = getattr(settings, "PAYMENTS_BANK_IBAN", "")
    bic_setting = getattr(settings, "PAYMENTS_BANK_BIC", "")
    try:
        iban = IBAN(iban_setting)
    except SchwiftyException as error:
        return [Error(f"PAYMENTS_BANK_IBAN is not a valid IBAN: {error}.", id="core.E004")]
    if iban.compact == EXAMPLE_IBAN:
        return [
            Error(
                f"PAYMENTS_BANK_IBAN is the example IBAN {EXAMPLE_IBAN}: clients would pay their budgets to a "
                "stranger's account.",
                hint="Set PAYMENTS_BANK_IBAN and PAYMENTS_BANK_BIC to the platform's escrow account.",
                id="core.E003",
            )
        ]
    try:
        bic = BIC(bic_setting)
    except SchwiftyException as error:
        return [Error(f"PAYMENTS_BANK_BIC is not a valid BIC: {error}.", id="core.E004")]
    if bic.country_code != iban.country_code:
        return [
            Error(
                f"PAYMENTS_BANK_BIC is of a bank in {bic.country_code}, PAYMENTS_BANK_IBAN of an account in "
                f"{iban.country_code}.",
                hint="Set PAYMENTS_BANK_BIC to the BIC of the bank that holds PAYMENTS_BANK_IBAN.",
                id="core.E004",
            )
        ]
    if bic.compact == EXAMPLE_BIC and iban.bic is not None and iban.bic.compact != EXAMPLE_BIC:
        return [
            Error(
                f"PAYMENTS_BANK_BIC is still the example BIC {EXAMPLE_BIC}; PAYMENTS_BANK_IBAN belongs to {iban.bic}.",
                hint="Set PAYMENTS_BANK_BIC to the BIC of the bank that holds PAYMENTS_BANK_IBAN.",
                id="core.E004",
            )
        ]
    return []
