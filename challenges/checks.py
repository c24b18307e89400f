"""System checks: the phase clock's settings must fit together (see config/settings.py)."""

from collections.abc import Sequence
from typing import Any

from django.apps import AppConfig
from django.conf import settings
from django.core.checks import CheckMessage, Error, register


@register()
def phase_clock_settings(app_configs: Sequence[AppConfig] | None, **kwargs: Any) -> Sequence[CheckMessage]:
    errors: list[CheckMessage] = []
    sweep, ahead = settings.CHALLENGES_SWEEP_SECONDS, settings.CHALLENGES_ARM_AHEAD_SECONDS
    visibility = settings.CELERY_BROKER_TRANSPORT_OPTIONS.get("visibility_timeout", 3600)
    if sweep < 1:
        errors.append(Error("CHALLENGES_SWEEP_SECONDS must be at least 1.", id="challenges.E001"))
    if ahead < 2 * sweep:
        errors.append(
            Error(
                "CHALLENGES_ARM_AHEAD_SECONDS must be at least twice CHALLENGES_SWEEP_SECONDS, "
                "or moves falling due between two sweeps are made late.",
                id="challenges.E002",
            )
        )
    if ahead * 4 > visibility:
        errors.append(
            Error(
                "CHALLENGES_ARM_AHEAD_SECONDS must stay well below the broker's visibility timeout, "
                "or Redis redelivers waiting ETA tasks (celery#4400).",
                id="challenges.E003",
            )
        )
    return errors
