"""What the dossiers app shows on the challenge page (registered in `DossiersConfig.ready`): the way
to the challenge's vehicle dossier once its first award made one. The challenge page has already
decided the reader may see the challenge, and the dossier is exactly as visible."""

from django.http import HttpRequest
from django.template.loader import render_to_string

from challenges.models import Challenge
from challenges.panels import register_challenge_panel
from dossiers.selectors import latest_version_number


def challenge_panel(request: HttpRequest, challenge: Challenge) -> str:
    number = latest_version_number(challenge_id=challenge.pk)  # one query
    if not number:
        return ""
    return render_to_string("dossiers/_panel.html", {"challenge": challenge, "number": number}, request=request)


def register() -> None:
    register_challenge_panel(challenge_panel)
