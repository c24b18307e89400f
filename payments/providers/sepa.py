"""A SEPA bank account as a payout destination: an IBAN of a SEPA country and its bank's BIC.

Shared by the providers that pay bank accounts (the manual provider's SEPA files, a test bank).
"""

from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from schwifty import BIC, IBAN
from schwifty.exceptions import SchwiftyException

from core.exceptions import ApplicationError
from payments.providers.base import Destination, DestinationField

SEPA_FIELDS = (
    DestinationField("iban", gettext_lazy("IBAN"), max_length=42),
    DestinationField(
        "bic",
        gettext_lazy("BIC"),
        required=False,
        max_length=11,
        help_text=gettext_lazy("Found from the IBAN for most banks."),
    ),
)


def masked_iban(iban: str) -> str:
    return f"{iban[:4]} •••• {iban[-4:]}" if len(iban) > 8 else "••••"


def sepa_destination(destination: Mapping[str, Any]) -> Destination:
    """A valid IBAN of a SEPA country, and its bank's BIC (given, or found from the IBAN) in the same country.

    SEPA batches carry euros to SEPA accounts only; a BIC of another country than the IBAN's is a
    typing error or someone else's bank, and the transfer would bounce or go astray.
    """
    iban, bic = str(destination.get("iban") or ""), str(destination.get("bic") or "")
    try:
        account = IBAN(iban)
    except SchwiftyException as error:
        raise ApplicationError(_("That IBAN is not valid: %(why)s") % {"why": error}, {"iban": [str(error)]}) from error
    if not account.in_sepa_zone:
        message = _("Payouts go by SEPA transfer; %(country)s is not in the SEPA zone.") % {
            "country": account.country_code
        }
        raise ApplicationError(message, {"iban": [message]})
    if bic.strip():
        try:
            bank = BIC(bic)
        except SchwiftyException as error:
            raise ApplicationError(
                _("That BIC is not valid: %(why)s") % {"why": error}, {"bic": [str(error)]}
            ) from error
    else:
        derived = account.bic
        if derived is None:
            raise ApplicationError(_("Give the bank's BIC for this IBAN."), {"bic": [_("Required for this bank.")]})
        bank = derived
    if bank.country_code != account.country_code:
        message = _("The BIC is of a bank in %(bic_country)s, the IBAN of an account in %(iban_country)s.") % {
            "bic_country": bank.country_code,
            "iban_country": account.country_code,
        }
        raise ApplicationError(message, {"bic": [message]})
    return Destination(
        data={"iban": account.compact, "bic": str(bank.compact), "country": account.country_code},
        shown_as=masked_iban(account.compact),
    )
