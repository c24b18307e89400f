"""What payments shows on the challenge page (registered in `PaymentsConfig.ready`): the way to the
budget page for the challenge's owner and staff, with the payment instructions while it is in funding."""

from django.http import HttpRequest
from django.template.loader import render_to_string

from challenges.models import Challenge, ChallengeStatus


def challenge_panel(request: HttpRequest, challenge: Challenge) -> str:
    user = request.user
    # Owner or staff, decided without a query (the budget page checks the same per object).
    if not user.is_authenticated or not (user.is_staff or challenge.owner_id == user.pk):
        return ""
    context = {"challenge": challenge, "awaiting_funds": challenge.status == ChallengeStatus.FUNDING}
    return render_to_string("payments/_challenge_panel.html", context, request=request)
