"""Pages of the community app."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from django_countries import countries
from rest_framework.utils.urls import replace_query_param

from community import selectors, services
from community.forms import ApiTokenForm, DirectoryForm, ProfileForm
from community.http import AuthenticatedHttpRequest, parse_id
from community.models import ReputationReason
from community.notifications import notification_text
from community.portfolio import portfolio_for
from community.services import reputation as formula
from community.targets import target_lookup
from community.templatetags.community_tags import THREAD_CURSOR_PARAM, thread_context
from core.exceptions import ApplicationError
from core.forms import add_application_error
from core.pagination import bounded_count, keyset_page, query_without_cursor

DIRECTORY_PAGE_SIZE = 24
FOLLOWING_PAGE_SIZE = 50


@login_required
def profile_edit(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = ProfileForm(request.POST or None, request.FILES or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            changes = {field: form.cleaned_data[field] for field in form.Meta.fields if field != "avatar"}
            if "avatar" in form.changed_data:
                changes["avatar"] = form.cleaned_data["avatar"]
            services.user_update_profile(user=request.user, **changes)
        except ApplicationError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("Your profile has been saved."))
            return redirect("community:profile_edit")
    return render(request, "community/profile_edit.html", {"form": form})


@login_required
def api_tokens(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The member's personal API tokens: create one (its secret is shown on this response only) or revoke."""
    form = ApiTokenForm(request.POST or None)
    secret = None
    if request.method == "POST" and form.is_valid():
        try:
            created, secret = services.api_token_create(user=request.user, **form.cleaned_data)
        except ApplicationError as error:
            add_application_error(form, error)
        else:
            form = ApiTokenForm()
    context = {"form": form, "tokens": selectors.api_tokens_of(user=request.user), "secret": secret}
    response = render(request, "community/api_tokens.html", context, status=201 if secret else 200)
    # The secret must not linger in any cache or in the browser's back/forward history.
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
def api_token_revoke(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    token = selectors.api_token_for_owner(user=request.user, pk=pk)
    services.api_token_revoke(user=request.user, token=token)
    messages.success(request, _("The token “%(name)s” has been revoked.") % {"name": token.name})
    return redirect("community:api_tokens")


# --- Directory, profiles, reputation ------------------------------------------------------------


def directory(request: HttpRequest) -> HttpResponse:
    form = DirectoryForm(request.GET or None)
    filters = form.filters() if form.is_valid() else selectors.DirectoryFilters()
    members = selectors.member_directory(filters=filters)
    page = keyset_page(
        members,
        ordering=selectors.directory_ordering(filters.sort),
        cursor=request.GET.get("cursor"),
        size=DIRECTORY_PAGE_SIZE,
    )
    count, more = bounded_count(members)
    template = "community/_directory_results.html" if getattr(request, "htmx", False) else "community/directory.html"
    context = {"form": form, "page": page, "query": query_without_cursor(request), "count": count, "count_more": more}
    return render(request, template, context)


def profile(request: HttpRequest, pk: int) -> HttpResponse:
    member = selectors.member_profile(pk=pk)
    context = {
        "member": member,
        "portfolio": portfolio_for(member=member, viewer=request.user),
        "reputation_rows": selectors.reputation_rows_for(member=member, viewer=request.user, limit=10),
        "is_me": request.user.pk == member.pk,
    }
    return render(request, "community/profile.html", context)


def leaderboard(request: HttpRequest) -> HttpResponse:
    country = request.GET.get("country", "").upper()[:2]
    skill = request.GET.get("skill", "").strip()[:40]
    if country and country not in dict(countries):
        country = ""
    context = {
        "members": selectors.leaderboard(country=country, skill=skill),
        "country": country,
        "skill": skill,
        "countries": list(countries),
    }
    return render(request, "community/leaderboard.html", context)


def reputation_explained(request: HttpRequest) -> HttpResponse:
    context = {
        "entry_points": formula.ENTRY_POINTS,
        "vote_points": formula.VOTE_POINTS,
        "fork_points": formula.FORK_POINTS,
        "award_base": formula.AWARD_BASE_POINTS,
        "award_steps": sorted(formula.AWARD_UNITS_PER_POINT.items(), key=lambda step: (step[1], step[0])),
        "award_max": formula.AWARD_MAX_POINTS,
        "reasons": ReputationReason.choices,
        "my_rows": selectors.reputation_entries(user=request.user) if request.user.is_authenticated else [],
    }
    return render(request, "community/reputation.html", context)


# --- Notifications ------------------------------------------------------------------------------


@login_required
def notifications(request: AuthenticatedHttpRequest) -> HttpResponse:
    unread_only = request.GET.get("unread") == "1"
    page = keyset_page(
        selectors.notifications_for(user=request.user, unread_only=unread_only),
        ordering=selectors.NOTIFICATION_ORDERING,
        cursor=request.GET.get("cursor"),
        size=30,
    )
    rows = [(notification, notification_text(notification.kind, notification.context)) for notification in page]
    context = {"page": page, "rows": rows, "unread_only": unread_only, "query": query_without_cursor(request)}
    return render(request, "community/notifications.html", context)


@login_required
@require_POST
def notifications_read(request: AuthenticatedHttpRequest) -> HttpResponse:
    ids = [pk for pk in map(parse_id, request.POST.getlist("id")) if pk is not None]
    services.notification_mark_read(user=request.user, notification_ids=ids or None)
    target = request.POST.get("open", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect("community:notifications")


@csrf_exempt  # mail clients' one-click unsubscribe POSTs carry no CSRF token; the signed token is the proof
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows what the link turns off (mail scanners follow links); POST turns it off."""
    try:
        user_id, kind = services.unsubscribe_token_read(token)
    except ApplicationError as error:
        return render(request, "community/unsubscribe.html", {"error": error.message}, status=400)
    done = False
    if request.method == "POST":
        try:
            services.email_unsubscribe(token=token)
        except ApplicationError as error:  # e.g. the member has been deleted since
            return render(request, "community/unsubscribe.html", {"error": error.message}, status=400)
        done = True
    kind_label = "" if kind == services.notifications.ALL_KINDS else dict(_kind_choices()).get(kind, kind)
    return render(request, "community/unsubscribe.html", {"done": done, "kind_label": kind_label, "token": token})


def _kind_choices() -> list[tuple[str, Any]]:
    from community.notifications import kind_choices

    return kind_choices()


# --- Comments and follows (forms post here; HTMX gets the re-rendered thread) -------------------


def _back(request: HttpRequest, fallback: str = "/") -> HttpResponse:
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = fallback
    return redirect(target)


def _object_id(request: HttpRequest) -> int:
    object_id = parse_id(request.POST.get("object_id"))
    if object_id is None:
        raise Http404
    return object_id


def _thread_response(
    request: HttpRequest, obj: Any, *, error: str = "", status: int = 200, comment: Any = None
) -> HttpResponse:
    """The re-rendered thread for HTMX, at the page that holds `comment` (the first page without one)."""
    from django.middleware.csrf import get_token

    cursor = (selectors.thread_cursor_for(comment) or "") if comment is not None else ""
    context = thread_context(request=request, obj=obj, cursor=cursor)
    context.update({"error": error, "csrf_token": get_token(request)})
    return render(request, "community/_thread_body.html", context, status=status)


@login_required
@require_POST
def comment_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    label = request.POST.get("target", "")
    _target, obj = target_lookup(label=label, object_id=_object_id(request), user=request.user)
    parent = request.POST.get("parent", "")
    error = ""
    comment = None
    try:
        comment = services.comment_create(
            author=request.user,
            label=label,
            object_id=obj.pk,
            body=request.POST.get("body", ""),
            parent_id=parse_id(parent),
        )
    except ApplicationError as failure:
        error = failure.message
    if getattr(request, "htmx", False):
        return _thread_response(request, obj, error=error, status=200, comment=comment)
    if error:
        messages.error(request, error)
        return _back(request)
    messages.success(request, _("Your comment is posted."))
    return _back_to_comment(request, comment)


def _back_to_comment(request: HttpRequest, comment: Any) -> HttpResponse:
    """Back to the page, at the page of its thread that shows `comment`."""
    response = _back(request)
    cursor = selectors.thread_cursor_for(comment)
    location = response["Location"].split("#", 1)[0]
    if cursor:
        location = replace_query_param(location, THREAD_CURSOR_PARAM, cursor)
    response["Location"] = f"{location}#comment-{comment.pk}"
    return response


def _comment_target(request: HttpRequest, comment_id: int) -> tuple[Any, Any]:
    comment = services.comment_for_viewer(comment_id=comment_id, user=request.user)
    return comment, comment.content_type.get_object_for_this_type(pk=comment.object_id)


@login_required
@require_POST
def comment_edit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    comment, obj = _comment_target(request, pk)
    error = ""
    try:
        services.comment_edit(comment_id=pk, user=request.user, body=request.POST.get("body", ""))
    except ApplicationError as failure:
        error = failure.message
    if getattr(request, "htmx", False):
        return _thread_response(request, obj, error=error, comment=comment)
    if error:
        messages.error(request, error)
    else:
        messages.success(request, _("Your comment is saved."))
    return _back(request)


@login_required
@require_POST
def comment_report(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    comment, obj = _comment_target(request, pk)
    error = ""
    try:
        services.comment_report(comment_id=pk, user=request.user, reason=request.POST.get("reason", ""))
    except ApplicationError as failure:
        error = failure.message
    if getattr(request, "htmx", False):
        return _thread_response(
            request, obj, error=error or _("Thank you. The moderators will look at it."), comment=comment
        )
    if error:
        messages.error(request, error)
    else:
        messages.success(request, _("Thank you. The moderators will look at it."))
    return _back(request)


@login_required
@require_POST
def follow(request: AuthenticatedHttpRequest) -> HttpResponse:
    label = request.POST.get("target", "")
    object_id = _object_id(request)
    if request.POST.get("action") == "unfollow":
        services.follow_delete(user=request.user, label=label, object_id=object_id)
        messages.success(request, _("You no longer follow this."))
    else:
        try:
            services.follow_create(user=request.user, label=label, object_id=object_id)
        except ApplicationError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("You follow this now; you will be notified of what happens."))
    return _back(request)


@login_required
def following(request: AuthenticatedHttpRequest) -> HttpResponse:
    """What the member follows, with links (targets they can no longer see are left out)."""
    from community.targets import visible_objects

    page = keyset_page(
        selectors.follows_of(user=request.user),
        ordering=selectors.FOLLOW_ORDERING,
        cursor=request.GET.get("cursor"),
        size=FOLLOWING_PAGE_SIZE,
    )
    visible = visible_objects(user=request.user, pairs=[(f.content_type_id, f.object_id) for f in page])
    rows = []
    for item in page:
        found = visible.get((item.content_type_id, item.object_id))
        if found is not None:
            target, obj = found
            rows.append({"follow": item, "title": target.title(obj), "url": target.url(obj), "label": target.label})
    context = {"rows": rows, "page": page, "query": query_without_cursor(request)}
    return render(request, "community/following.html", context)
