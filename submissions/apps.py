from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SubmissionsConfig(AppConfig):
    name = "submissions"
    verbose_name = _("Entries and judging")

    def ready(self) -> None:
        from challenges.panels import register_challenge_panel, register_phase_panel
        from submissions import community_events  # noqa: F401 - community targets, notifications, reputation
        from submissions.panels import challenge_panel, phase_panel

        register_phase_panel(phase_panel)
        register_challenge_panel(challenge_panel)
