from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PaymentsConfig(AppConfig):
    name = "payments"
    verbose_name = _("Payments")

    def ready(self) -> None:
        from challenges.panels import register_challenge_panel
        from payments import (
            community_events,  # noqa: F401 - payout notifications
            panels,
            receivers,
        )

        receivers.connect()
        register_challenge_panel(panels.challenge_panel)
