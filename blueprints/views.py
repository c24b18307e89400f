"""Pages of the blueprints app: the library, a blueprint, revisions, compare, upload, 3D view.

Views read through selectors and write through services. Anyone may browse listed blueprints;
downloading, forking and the 3D view need a signed-in member; changing needs the owner.
"""

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.staticfiles.storage import staticfiles_storage
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from blueprints import selectors, services
from blueprints.filetypes import FILE_TYPES, allowed_extensions
from blueprints.forms import BlueprintForm, ForkForm, PublishForm, SearchForm
from blueprints.models import Blueprint, FileStatus, Revision
from community.http import AuthenticatedHttpRequest
from core.exceptions import ApplicationError
from core.forms import add_application_error
from core.pagination import KeysetPage, bounded_count, keyset_page, query_without_cursor

PAGE_SIZE = 24


def library(request: HttpRequest) -> HttpResponse:
    form = SearchForm(request.GET or None)
    filters = form.filters() if form.is_valid() else selectors.SearchFilters()
    listing = selectors.blueprint_library(filters=filters)
    page = keyset_page(listing.blueprints, ordering=listing.ordering, cursor=request.GET.get("cursor"), size=PAGE_SIZE)
    count, more = listing.counted or bounded_count(listing.matches)
    template = "blueprints/_results.html" if getattr(request, "htmx", False) else "blueprints/library.html"
    context = {
        "form": form,
        "page": page,
        "count": count,
        "count_more": more,
        "query": query_without_cursor(request),
        "searching": bool(filters.query),
    }
    return render(request, template, context)


@login_required
def mine(request: AuthenticatedHttpRequest) -> HttpResponse:
    blueprints = selectors.blueprint_list_for_owner(user=request.user)
    page = keyset_page(blueprints, ordering=selectors.OWNER_ORDERING, cursor=request.GET.get("cursor"), size=PAGE_SIZE)
    return render(request, "blueprints/mine.html", {"page": page, "query": query_without_cursor(request)})


@login_required
def create(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = BlueprintForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            blueprint = services.blueprint_create(owner=request.user, **form.cleaned_data)
        except ApplicationError as error:
            add_application_error(form, error)
        else:
            messages.success(request, _("Blueprint created. Now add its files."))
            upload_url = reverse("blueprints:upload", kwargs={"slug": blueprint.slug, "number": 1})
            after = _next_url(request)
            return redirect(f"{upload_url}?{urlencode({'next': after})}" if after else upload_url)
    return render(request, "blueprints/form.html", {"form": form, "creating": True})


def _next_url(request: HttpRequest) -> str:
    """Where to go once the design is published (the "enter this phase" page sends members here
    with `?next=`); only a path on this site, never elsewhere."""
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return ""


def _shown_revision(blueprint: Blueprint, user: Any) -> Revision | None:
    """The latest published revision; for its owner a never-published blueprint shows its draft."""
    number = blueprint.latest_revision.number if blueprint.latest_revision else None
    if number is None:
        draft = blueprint.revisions.filter(is_published=False).first()
        if draft is None or not (blueprint.owner_id == user.pk or user.is_staff):
            return None
        number = draft.number
    return selectors.revision_for_viewer(blueprint=blueprint, number=number, user=user)


REVISIONS_CURSOR = "revisions"


def _cursor_link(request: HttpRequest, param: str, page: KeysetPage, *, previous: bool) -> str:
    """This page's URL at the previous/next page of one of its lists ("" when there is none);
    the page's other parameters (another list's cursor) are kept."""
    if not (page.has_previous if previous else page.has_next):
        return ""
    query = request.GET.copy()
    query.pop(param, None)
    cursor = page.previous_cursor if previous else page.next_cursor
    if cursor:
        query[param] = cursor
    return f"?{query.urlencode()}#{param}" if query else f"{request.path}#{param}"


def blueprint_detail(request: HttpRequest, slug: str) -> HttpResponse:
    blueprint = selectors.blueprint_for_viewer(slug=slug, user=request.user)
    revision = _shown_revision(blueprint, request.user)
    is_owner = blueprint.owner_id == request.user.pk
    draft = blueprint.revisions.filter(is_published=False).first() if is_owner else None
    revisions = keyset_page(
        selectors.revisions_for_viewer(blueprint=blueprint, user=request.user),
        ordering=selectors.REVISION_ORDERING,
        cursor=request.GET.get(REVISIONS_CURSOR),
        size=selectors.REVISION_PAGE_SIZE,
    )
    return render(
        request,
        "blueprints/detail.html",
        {
            "blueprint": blueprint,
            "revision": revision,
            "files": list(revision.files.all()) if revision else [],
            "revisions": revisions,
            "revisions_previous": _cursor_link(request, REVISIONS_CURSOR, revisions, previous=True),
            "revisions_next": _cursor_link(request, REVISIONS_CURSOR, revisions, previous=False),
            "lineage": selectors.blueprint_lineage(blueprint=blueprint),
            "is_owner": is_owner,
            "draft": draft,
            "fork_form": ForkForm(parent=blueprint) if request.user.is_authenticated else None,
        },
    )


@login_required
def edit(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    blueprint = selectors.blueprint_for_owner(slug=slug, user=request.user)
    form = BlueprintForm.for_blueprint(blueprint, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.blueprint_update(blueprint=blueprint, user=request.user, **form.changes())
        except ApplicationError as error:
            add_application_error(form, error)
        else:
            messages.success(request, _("Saved."))
            return redirect(blueprint)
    return render(request, "blueprints/form.html", {"form": form, "blueprint": blueprint, "creating": False})


def revision_detail(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    blueprint = selectors.blueprint_for_viewer(slug=slug, user=request.user)
    revision = selectors.revision_for_viewer(blueprint=blueprint, number=number, user=request.user)
    return render(
        request,
        "blueprints/revision.html",
        {
            "blueprint": blueprint,
            "revision": revision,
            "files": list(revision.files.all()),
            "is_owner": blueprint.owner_id == request.user.pk,
        },
    )


def compare(request: HttpRequest, old: int, new: int) -> HttpResponse:
    comparison = selectors.revision_compare(
        old=selectors.revision_by_id_for_viewer(pk=old, user=request.user),
        new=selectors.revision_by_id_for_viewer(pk=new, user=request.user),
    )
    return render(request, "blueprints/compare.html", {"comparison": comparison})


def _upload_messages() -> dict[str, str]:
    return {
        "queued": _("Waiting…"),
        "uploading": _("Uploading…"),
        "retrying": _("Connection problem, trying again…"),
        "checking": _("Uploaded. Checking the file…"),
        "ready": _("Ready"),
        "rejected": _("Rejected"),
        "failed": _("Upload failed"),
        "resumed": _("Resuming an earlier upload"),
    }


@login_required
def upload(request: AuthenticatedHttpRequest, slug: str, number: int) -> HttpResponse:
    blueprint, revision = selectors.revision_for_owner(slug=slug, number=number, user=request.user)
    if revision.is_published:
        messages.info(request, _("This revision is published and cannot change; make a new revision instead."))
        return redirect("blueprints:revision", slug=slug, number=number)
    files = list(revision.files.all())
    config = {
        "startUrl": reverse("api-blueprint-uploads", kwargs={"slug": slug, "number": number}),
        "fileUrl": reverse("api-blueprint-file", kwargs={"pk": 0}),
        "csrfToken": request.META.get("CSRF_COOKIE", ""),
        "maxBytes": settings.BLUEPRINT_UPLOAD_MAX_BYTES,
        "accept": allowed_extensions(),
        "messages": _upload_messages(),
        "resumable": [
            {"id": file.pk, "name": file.original_name, "size": file.size}
            for file in files
            if file.status == FileStatus.PENDING and file.upload_completed_at is None and file.multipart_upload_id
        ],
    }
    return render(
        request,
        "blueprints/upload.html",
        {
            "blueprint": blueprint,
            "revision": revision,
            "files": files,
            "config": config,
            "accept": ",".join(allowed_extensions()),
            "file_types": FILE_TYPES,
            "max_size": filesizeformat(settings.BLUEPRINT_UPLOAD_MAX_BYTES),
            "publish_form": PublishForm(initial={"change_notes": revision.change_notes}),
            "next_url": _next_url(request),
        },
    )


def _refusal(request: HttpRequest, error: ApplicationError) -> None:
    messages.error(request, error.message)


@login_required
@require_POST
def publish(request: AuthenticatedHttpRequest, slug: str, number: int) -> HttpResponse:
    blueprint, revision = selectors.revision_for_owner(slug=slug, number=number, user=request.user)
    form = PublishForm(request.POST)
    notes = form.cleaned_data["change_notes"] if form.is_valid() else None
    try:
        services.revision_publish(revision=revision, user=request.user, change_notes=notes)
    except ApplicationError as error:
        _refusal(request, error)
        return redirect("blueprints:upload", slug=slug, number=number)
    messages.success(request, _("Revision %(number)s is published.") % {"number": number})
    return redirect(_next_url(request) or blueprint)


@login_required
@require_POST
def new_revision(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    blueprint = selectors.blueprint_for_owner(slug=slug, user=request.user)
    try:
        revision = services.revision_create(blueprint=blueprint, user=request.user)
    except ApplicationError as error:
        _refusal(request, error)
        return redirect(blueprint)
    return redirect("blueprints:upload", slug=slug, number=revision.number)


@login_required
@require_POST
def delete_revision(request: AuthenticatedHttpRequest, slug: str, number: int) -> HttpResponse:
    """The owner deletes a draft; staff hide a published revision."""
    blueprint = selectors.blueprint_for_viewer(slug=slug, user=request.user)
    revision = selectors.revision_for_viewer(blueprint=blueprint, number=number, user=request.user)
    try:
        if revision.is_published:
            services.revision_hide(revision=revision, user=request.user)
            messages.success(request, _("Revision %(number)s is hidden.") % {"number": number})
        else:
            services.revision_delete(revision=revision, user=request.user)
            messages.success(request, _("The draft is deleted."))
    except ApplicationError as error:
        _refusal(request, error)
    return redirect(blueprint)


@login_required
@require_POST
def fork(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    blueprint = selectors.blueprint_for_viewer(slug=slug, user=request.user)
    form = ForkForm(request.POST, parent=blueprint)
    if not form.is_valid():
        messages.error(request, _("Choose a licence the original allows."))
        return redirect(blueprint)
    try:
        created = services.blueprint_fork(
            blueprint=blueprint,
            user=request.user,
            title=form.cleaned_data["title"] or None,
            licence=form.cleaned_data["licence"],
        )
    except ApplicationError as error:
        _refusal(request, error)
        return redirect(blueprint)
    messages.success(request, _("Forked. Change what you like, then publish your first revision."))
    return redirect("blueprints:upload", slug=created.slug, number=1)


@login_required
@require_POST
def hide(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    blueprint = selectors.blueprint_for_viewer(slug=slug, user=request.user)
    services.blueprint_hide(blueprint=blueprint, user=request.user)
    messages.success(request, _("The blueprint is hidden."))
    return redirect("blueprints:library")


@login_required
@require_POST
def discard(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    blueprint = selectors.blueprint_for_owner(slug=slug, user=request.user)
    try:
        services.blueprint_discard(blueprint=blueprint, user=request.user)
    except ApplicationError as error:
        _refusal(request, error)
        return redirect(blueprint)
    messages.success(request, _("The blueprint is deleted."))
    return redirect("blueprints:mine")


@login_required
@require_POST
def remove_file(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    file = selectors.file_for_owner(pk=pk, user=request.user)
    revision = file.revision
    try:
        services.file_remove(file=file, user=request.user)
    except ApplicationError as error:
        _refusal(request, error)
    return redirect("blueprints:upload", slug=revision.blueprint.slug, number=revision.number)


@login_required
def download(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    file = selectors.file_for_viewer(pk=pk, user=request.user)
    try:
        return HttpResponseRedirect(services.file_download(file=file, user=request.user))
    except ApplicationError as error:
        raise Http404(error.message) from error


def _static_or_none(path: str) -> str | None:
    try:
        return staticfiles_storage.url(path)
    except ValueError:  # not collected: three.js is not installed (npm ci)
        return None


@login_required
def viewer(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    file = selectors.file_for_viewer(pk=pk, user=request.user)
    try:
        url = services.file_view_url(file=file, user=request.user)
    except ApplicationError as error:
        raise Http404(error.message) from error
    return render(
        request,
        "blueprints/viewer.html",
        {
            "file": file,
            "blueprint": file.revision.blueprint,
            "revision": file.revision,
            "model_url": url,
            "three_url": _static_or_none("vendor/three/build/three.module.js"),
            "addons_prefix": f"{settings.STATIC_URL}vendor/three/examples/jsm/",
        },
    )
