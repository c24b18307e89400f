"""Places on the challenge and phase pages where higher apps show their own content.

The challenges app must not import the apps above it (submissions shows entries and winners
here), so they register functions in their `AppConfig.ready()`; each returns safe HTML.
"""

from collections.abc import Callable

from django.http import HttpRequest
from django.utils.safestring import SafeString, mark_safe

from challenges.models import Challenge, Phase

PhasePanel = Callable[[HttpRequest, Phase], str]
ChallengePanel = Callable[[HttpRequest, Challenge], str]

_phase_panels: list[PhasePanel] = []
_challenge_panels: list[ChallengePanel] = []


def register_phase_panel(panel: PhasePanel) -> PhasePanel:
    if panel not in _phase_panels:
        _phase_panels.append(panel)
    return panel


def register_challenge_panel(panel: ChallengePanel) -> ChallengePanel:
    if panel not in _challenge_panels:
        _challenge_panels.append(panel)
    return panel


def render_phase_panels(request: HttpRequest, phase: Phase) -> SafeString:
    # The panels render templates (autoescaped), so their output is already safe HTML.
    return mark_safe("".join(panel(request, phase) for panel in _phase_panels))  # noqa: S308


def render_challenge_panels(request: HttpRequest, challenge: Challenge) -> SafeString:
    return mark_safe("".join(panel(request, challenge) for panel in _challenge_panels))  # noqa: S308
