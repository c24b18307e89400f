"""Payout methods: where a member is paid (a provider and a destination it validated), shown masked,
changed only with the password.

Every change is e-mailed to the member and holds their payouts for
`PAYMENTS_METHOD_CHANGE_HOLD_HOURS` (someone who took over the account cannot redirect money
before the member notices).
"""

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from community.models import User
from core.exceptions import ApplicationError, NotAllowed
from payments.models import PayoutMethod
from payments.providers import ProviderError, bank_account_provider_code, provider_for
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


@transaction.atomic
def payout_method_choose(
    *,
    user: User,
    password: str,
    provider: str,
    holder_name: str,
    destination: Mapping[str, Any],
    now: datetime | None = None,
) -> PayoutMethod:
    """Be paid through `provider` to `destination` (what its `destination_fields` ask for), replacing
    the current method. The provider validates the destination; payments stores it as given back.
    Held for the configured hours; the member is told."""
    _check_password(user, password)
    holder = " ".join(holder_name.split())
    if not holder:
        raise ApplicationError(_("Give the account holder's name."), {"holder_name": [_("Required.")]})
    if len(holder) > 70:
        raise ApplicationError(_("At most 70 characters."), {"holder_name": [_("At most 70 characters.")]})
    try:
        chosen = provider_for(provider)
    except ProviderError as error:
        message = _("Payouts cannot go through “%(provider)s”.") % {"provider": provider}
        raise ApplicationError(message, {"provider": [message]}) from error
    cleaned = chosen.clean_destination(destination)
    now = now or timezone.now()
    _lock_member(user)
    previous = PayoutMethod.objects.select_for_update(of=("self",)).filter(owner=user, is_active=True).first()
    if previous is not None:
        previous.is_active = False
        previous.removed_at = now
        previous.save(update_fields=["is_active", "removed_at"])
    method = PayoutMethod.objects.create(
        owner=user,
        provider=chosen.code,
        holder_name=holder,
        destination=dict(cleaned.data),
        shown_as=cleaned.shown_as[:60],
        usable_from=now + timedelta(hours=settings.PAYMENTS_METHOD_CHANGE_HOLD_HOURS),
    )
    payouts_reschedule_for(user=user, usable_from=method.usable_from)
    _notify_on_commit(user.pk, "changed" if previous else "added")
    return method


def payout_method_set(
    *,
    user: User,
    password: str,
    holder_name: str,
    iban: str,
    bic: str = "",
    now: datetime | None = None,
) -> PayoutMethod:
    """Add a bank account, or replace the current method: paid through the bank-account provider
    (`PAYMENTS_PAYOUT_PROVIDER`, which validates it as a SEPA account)."""
    return payout_method_choose(
        user=user,
        password=password,
        provider=bank_account_provider_code(),
        holder_name=holder_name,
        destination={"iban": iban, "bic": bic},
        now=now,
    )


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
