"""Pages of the dossier package: ask for a build, follow its progress, download it.

Thin: `dossiers.packaging` decides. Building and downloading need a signed-in member (like every
file download on the platform); the status is readable by whoever may see the dossier. Whoever may
not gets a 404, as for the dossier itself.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from dossiers import packaging
from dossiers.models import PackageStatus
from dossiers.selectors import DossierNotFound


def _wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def package(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    """GET: a redirect to a short-lived S3 URL of the ready zip. POST: ask for the package to be built."""
    if request.method == "POST":
        return _request_build(request, slug, number)
    _version, built = packaging.package_for_viewer(user=request.user, slug=slug, number=number)
    if built is None or built.status != PackageStatus.READY:
        raise DossierNotFound(_("The package of this version is not ready."))
    return HttpResponseRedirect(packaging.package_download_url(package=built, slug=slug, number=number))


def _request_build(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    built = packaging.package_request(user=request.user, slug=slug, number=number)
    if _wants_json(request):
        return JsonResponse(packaging.package_state(built, slug=slug, number=number), status=202)
    if built.status == PackageStatus.READY:
        messages.success(request, _("The package is ready to download."))
    else:
        messages.success(request, _("The package is being built. This page shows how far it is."))
    return redirect(f"{reverse('dossiers:version', kwargs={'slug': slug, 'number': number})}#package")


@never_cache
@require_GET
def package_status(request: HttpRequest, slug: str, number: int) -> JsonResponse:
    """The package's progress as JSON (status, files and bytes done of total, percent, download URL when ready)."""
    _version, built = packaging.package_for_viewer(user=request.user, slug=slug, number=number)
    return JsonResponse(packaging.package_state(built, slug=slug, number=number))
