from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PaymentsConfig(AppConfig):
    name = "payments"
    verbose_name = _("Payments")

    def ready(self) -> None:
        from payments import (
            community_events,  # noqa: F401 - payout notifications
            receivers,
        )

        receivers.connect()
