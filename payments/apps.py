from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PaymentsConfig(AppConfig):
    name = "payments"
    verbose_name = _("Payments")

    def ready(self) -> None:
        from challenges.guards import register_challenge_move_guard
        from challenges.panels import register_challenge_panel
        from payments import (
            community_events,  # noqa: F401 - payout notifications
            panels,
            receivers,
        )
        from payments.providers import manual, register_provider
        from payments.services.funding import challenge_move_refusal

        receivers.connect()
        register_challenge_panel(panels.challenge_panel)
        register_challenge_move_guard(challenge_move_refusal)
        register_provider(manual.ManualProvider())
