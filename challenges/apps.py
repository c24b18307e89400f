from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ChallengesConfig(AppConfig):
    name = "challenges"
    verbose_name = _("Challenges")

    def ready(self) -> None:
        from challenges import (
            checks,  # noqa: F401 - registers the system checks
            community_events,  # noqa: F401 - community targets, notifications
        )
