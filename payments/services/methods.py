"""Payout methods: a member's bank account, validated, shown masked, changed only with the password.

Every change is e-mailed to the member and holds their payouts for
`PAYMENTS_METHOD_CHANGE_HOLD_HOURS` (someone who took over the account cannot redirect money
before the member notices).
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from schwifty import BIC, IBAN
from schwifty.exceptions import SchwiftyException

from community.models import User
from core.exceptions import ApplicationError, NotAllowed
from payments.models import PayoutMethod, PayoutMethodKind
from payments.services.payouts import payouts_reschedule_for


def _check_password(user: User, password: str) -> None:
    if not password or not user.check_password(password):
        raise ApplicationError(
            _("Your password is needed to change where your money goes."), {"password": [_("Wrong password.")]}
        )


def _notify_on_commit(user_id: int, change: str) -> None:
    def send() -> None:
        from payments.tasks import notify_payout_method_changed

        notify_payout_method_changed.delay(user_id, change)

    transaction.on_commit(send)


def _lock_member(user: User) -> User:
    # Serialises a member's method changes (two browser tabs): one active method at a time.
    return User.objects.select_for_update(of=("self",)).get(pk=user.pk)


def _sepa_account(iban: str, bic: str) -> tuple[IBAN, BIC]:
    """A valid IBAN of a SEPA country, and its bank's BIC (given, or found from the IBAN) in the same country.

    SEPA batches carry euros to SEPA accounts only; a BIC of another country than the IBAN's is a
    typing error or someone else's bank, and the transfer would bounce or go astray.
    """
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
    return account, bank


@transaction.atomic
def payout_method_set(
    *,
    user: User,
    password: str,
    holder_name: str,
    iban: str,
    bic: str = "",
    now: datetime | None = None,
) -> PayoutMethod:
    """Add a bank account, or replace the current one. Held for the configured hours; the member is told."""
    _check_password(user, password)
    holder = " ".join(holder_name.split())
    if not holder:
        raise ApplicationError(_("Give the account holder's name."), {"holder_name": [_("Required.")]})
    if len(holder) > 70:
        raise ApplicationError(_("At most 70 characters."), {"holder_name": [_("At most 70 characters.")]})
    account, bank = _sepa_account(iban, bic)
    now = now or timezone.now()
    _lock_member(user)
    previous = PayoutMethod.objects.select_for_update(of=("self",)).filter(owner=user, is_active=True).first()
    if previous is not None:
        previous.is_active = False
        previous.removed_at = now
        previous.save(update_fields=["is_active", "removed_at"])
    method = PayoutMethod.objects.create(
        owner=user,
        kind=PayoutMethodKind.SEPA,
        holder_name=holder,
        iban=account.compact,
        bic=str(bank.compact),
        country=account.country_code,
        usable_from=now + timedelta(hours=settings.PAYMENTS_METHOD_CHANGE_HOLD_HOURS),
    )
    payouts_reschedule_for(user=user, usable_from=method.usable_from)
    _notify_on_commit(user.pk, "changed" if previous else "added")
    return method


@transaction.atomic
def payout_method_remove(
    *, user: User, method: PayoutMethod, password: str, now: datetime | None = None
) -> PayoutMethod:
    """Remove the member's active method: their payouts wait until they add another."""
    _check_password(user, password)
    _lock_member(user)
    locked = PayoutMethod.objects.select_for_update(of=("self",)).get(pk=method.pk)
    if locked.owner_id != user.pk:
        raise NotAllowed(_("That is not your payout method."))
    if not locked.is_active:
        return locked
    locked.is_active = False
    locked.removed_at = now or timezone.now()
    locked.save(update_fields=["is_active", "removed_at"])
    payouts_reschedule_for(user=user, usable_from=None)
    _notify_on_commit(user.pk, "removed")
    return locked
