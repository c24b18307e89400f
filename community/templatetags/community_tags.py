"""`{% comment_thread obj %}` and `{% follow_button obj %}` for any registered target."""

from typing import Any

from django import template
from django.contrib.contenttypes.models import ContentType
from django.http import QueryDict
from django.utils.html import format_html
from django.utils.safestring import SafeString

from community.selectors import comment_count, comment_replies, is_following, replies_after
from community.selectors import comment_thread as thread_of
from community.services import comment_is_editable, mention_handle
from community.targets import target_of_model

register = template.Library()


THREAD_CURSOR_PARAM = "comments"
# The replies of one comment past its first page: `?replies_of=<pk>&replies=<cursor>`.
REPLIES_OF_PARAM = "replies_of"
REPLIES_CURSOR_PARAM = "replies"


def _thread_link(
    request: Any, page_url: str, cursor: str | None, anchor: str, *, replies: tuple[int, str | None] | None = None
) -> str:
    """The page's URL with the thread's cursor set (or removed), its other parameters kept. A
    re-render after a POST (HTMX) links to the target's page, not to the form's action. `replies`
    (comment pk, cursor) points at a page of one comment's replies; without it, none is open."""
    on_page = request is not None and request.method == "GET"
    query = request.GET.copy() if on_page else QueryDict(mutable=True)
    for name in (THREAD_CURSOR_PARAM, REPLIES_OF_PARAM, REPLIES_CURSOR_PARAM):
        query.pop(name, None)
    if cursor:
        query[THREAD_CURSOR_PARAM] = cursor
    if replies is not None:
        query[REPLIES_OF_PARAM] = str(replies[0])
        if replies[1]:
            query[REPLIES_CURSOR_PARAM] = replies[1]
    encoded = query.urlencode()
    base = request.path if on_page else page_url
    return f"{base}?{encoded}#{anchor}" if encoded else f"{base}#{anchor}"


def thread_context(*, request: Any, obj: Any, cursor: str | None = None, target: Any = None) -> dict[str, Any]:
    """What `community/_thread.html` needs; also used by the views that re-render it for HTMX.

    One page of top-level comments (`?comments=<cursor>`, oldest first) with their replies: the
    thread costs its page, however long it is. `cursor` overrides the request's (a re-render after
    posting shows the page with the new comment)."""
    target = target or target_of_model(type(obj))
    user = getattr(request, "user", None)
    if target is None or not target.can_view(user, obj):
        return {"visible": False}
    if cursor is None and request is not None:
        cursor = request.GET.get(THREAD_CURSOR_PARAM)
    page = thread_of(obj=obj, cursor=cursor)
    content_type = ContentType.objects.get_for_model(type(obj))
    thread_id = f"thread-{content_type.pk}-{obj.pk}"
    page_url = target.url(obj)
    opened = request.GET.get(REPLIES_OF_PARAM, "") if request is not None and request.method == "GET" else ""
    rows = []
    for comment in page.object_list:
        replies = comment.reply_list
        more_link = earlier_link = ""
        is_open = opened == str(comment.pk) and comment.more_replies > 0
        if is_open:
            # This comment's replies, a page at a time from `?replies=` (one query more).
            shown = comment_replies(parent=comment, cursor=request.GET.get(REPLIES_CURSOR_PARAM))
            replies = shown.object_list
            anchor = f"comment-{comment.pk}"
            if shown.has_next:
                more_link = _thread_link(request, page_url, cursor, anchor, replies=(comment.pk, shown.next_cursor))
            if shown.has_previous:
                earlier_link = _thread_link(
                    request, page_url, cursor, anchor, replies=(comment.pk, shown.previous_cursor)
                )
        elif comment.more_replies and replies:
            more_link = _thread_link(
                request, page_url, cursor, f"comment-{comment.pk}", replies=(comment.pk, replies_after(replies[-1]))
            )
        for index, item in enumerate([comment, *replies]):
            item.editable = comment_is_editable(comment=item, user=user)
            item.is_reply = index > 0
            item.opens_replies = index == 1
            item.closes_replies = index > 0 and index == len(replies)
            item.replies_not_shown = comment.more_replies if item.closes_replies and not is_open else 0
            item.more_replies_url = more_link if item.closes_replies else ""
            item.earlier_replies_url = earlier_link if item.opens_replies else ""
            rows.append(item)
    count, more = comment_count(obj=obj)
    return {
        "visible": True,
        "request": request,
        "user": user,
        "comments": page.object_list,
        "rows": rows,
        "page": page,
        "previous_url": _thread_link(request, page_url, page.previous_cursor, thread_id) if page.has_previous else "",
        "next_url_page": _thread_link(request, page_url, page.next_cursor, thread_id) if page.has_next else "",
        "label": target.label,
        "object_id": obj.pk,
        "thread_id": thread_id,
        "next_url": page_url,
        "count": count,
        "count_more": more,
        "my_handle": mention_handle(user) if user is not None and user.is_authenticated else "",
    }


@register.inclusion_tag("community/_thread.html", takes_context=True)
def comment_thread(context: template.Context, obj: Any) -> dict[str, Any]:
    request = context.get("request")
    data = thread_context(request=request, obj=obj)
    data["csrf_token"] = context.get("csrf_token")
    return data


def follow_context(*, request: Any, obj: Any) -> dict[str, Any]:
    target = target_of_model(type(obj))
    user = getattr(request, "user", None)
    if target is None or not target.followable:
        return {"visible": False}
    return {
        "visible": True,
        "user": user,
        "label": target.label,
        "object_id": obj.pk,
        "following": is_following(user=user, obj=obj),
        "next_url": target.url(obj),
        "is_self": getattr(user, "pk", None) == obj.pk and target.label == "community.user",
    }


@register.inclusion_tag("community/_follow_button.html", takes_context=True)
def follow_button(context: template.Context, obj: Any) -> dict[str, Any]:
    data = follow_context(request=context.get("request"), obj=obj)
    data["csrf_token"] = context.get("csrf_token")
    return data


@register.filter
def flag(country: Any) -> SafeString | str:
    """The country's code in a badge (`DE`) named in its title: flag emoji show as empty boxes on many systems."""
    if not country:
        return ""
    return format_html('<abbr class="badge flag" title="{}">{}</abbr>', country.name, country.code)


@register.inclusion_tag("community/_activity_feed.html", takes_context=True)
def activity_feed(context: template.Context, limit: int = 15) -> dict[str, Any]:
    """The home page's feed: what happened in what the signed-in member follows."""
    from community.selectors import activity_feed as feed

    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"visible": False}
    return {"visible": True, "items": feed(user=user, limit=limit)}
