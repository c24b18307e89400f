"""URLs of the dossier assembly: setting where a part sits (a form without JavaScript, or JSON from the scene)."""

import json
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import NoReverseMatch, path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.exceptions import ApplicationError, NotAllowed
from dossiers.assembly import placement_set


def _wants_json(request: HttpRequest) -> bool:
    return request.content_type == "application/json" or "application/json" in request.headers.get("Accept", "")


def _transform_of(request: HttpRequest) -> dict[str, Any]:
    if request.content_type == "application/json":
        try:
            data = json.loads(request.body or b"{}")
        except (ValueError, UnicodeDecodeError) as error:
            raise ApplicationError(_("The request is not valid JSON.")) from error
        if not isinstance(data, dict):
            raise ApplicationError(_("Send an object with position, rotation and scale."))
        return {"position": data.get("position"), "rotation": data.get("rotation"), "scale": data.get("scale")}
    form = request.POST
    return {
        "position": [form.get(f"position_{axis}") for axis in "xyz"],
        "rotation": [form.get(f"rotation_{axis}") for axis in "xyz"],
        "scale": form.get("scale"),
    }


def _page(slug: str, number: int, part_id: int) -> str:
    """The dossier page of this version, at the part's placement."""
    try:
        page = reverse("dossiers:version", kwargs={"slug": slug, "number": number})
    except NoReverseMatch:  # the page's routes name versions otherwise: the latest page, then
        page = reverse("dossiers:page", kwargs={"slug": slug})
    return f"{page}#placement-{part_id}"


def _refusal_text(error: ApplicationError) -> str:
    """The refusal with each field's message, for the page (the form is shown again from the saved values)."""
    fields = error.extra.get("fields", {})
    details = [f"{name.replace('_', ' ')}: {' '.join(texts)}" for name, texts in fields.items()]
    return " ".join([error.message, *details])


@require_POST
def placement(request: HttpRequest, slug: str, number: int, part_id: int) -> HttpResponse:
    """Save a part's transform in version `number`: JSON in, JSON out; or a form, then back to the page."""
    as_json = _wants_json(request)
    if not request.user.is_authenticated:
        if as_json:
            return JsonResponse({"detail": _("Sign in to place parts.")}, status=403)
        return redirect(f"{reverse('account_login')}?next={_page(slug, number, part_id)}")
    try:
        row = placement_set(user=request.user, slug=slug, number=number, part_id=part_id, **_transform_of(request))
    except NotAllowed as error:
        if as_json:
            return JsonResponse({"detail": error.message}, status=403)
        raise PermissionDenied(error.message) from error
    except ApplicationError as error:
        if as_json:
            return JsonResponse({"detail": error.message, **error.extra}, status=error.status)
        messages.error(request, _refusal_text(error))
        return redirect(_page(slug, number, part_id))
    if as_json:
        return JsonResponse(
            {"part_id": part_id, "position": row.position, "rotation": row.rotation, "scale": row.scale}
        )
    messages.success(request, _("The placement is saved."))
    return redirect(_page(slug, number, part_id))


urlpatterns = [
    path("v<int:number>/parts/<int:part_id>/placement/", placement, name="placement"),
]
