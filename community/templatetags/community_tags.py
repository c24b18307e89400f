"""`{% comment_thread obj %}` and `{% follow_button obj %}` for any registered target."""

from typing import Any

from django import template
from django.contrib.contenttypes.models import ContentType

from community.selectors import comment_thread as thread_of
from community.selectors import is_following
from community.services import comment_is_editable, mention_handle
from community.targets import target_of_model

register = template.Library()


def thread_context(*, request: Any, obj: Any) -> dict[str, Any]:
    """What `community/_thread.html` needs; also used by the views that re-render it for HTMX."""
    target = target_of_model(type(obj))
    user = getattr(request, "user", None)
    if target is None or not target.can_view(user, obj):
        return {"visible": False}
    comments = thread_of(obj=obj)
    for comment in comments:
        for item in [comment, *getattr(comment, "reply_list", [])]:
            item.editable = comment_is_editable(comment=item, user=user)
    content_type = ContentType.objects.get_for_model(type(obj))
    return {
        "visible": True,
        "request": request,
        "user": user,
        "comments": comments,
        "label": target.label,
        "object_id": obj.pk,
        "thread_id": f"thread-{content_type.pk}-{obj.pk}",
        "next_url": target.url(obj),
        "count": sum(1 + len(getattr(c, "reply_list", [])) for c in comments),
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
def flag(country: Any) -> str:
    """The country's flag as an emoji (no image request)."""
    return getattr(country, "unicode_flag", "") if country else ""


@register.inclusion_tag("community/_activity_feed.html", takes_context=True)
def activity_feed(context: template.Context, limit: int = 15) -> dict[str, Any]:
    """The home page's feed: what happened in what the signed-in member follows."""
    from community.selectors import activity_feed as feed

    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"visible": False}
    return {"visible": True, "items": feed(user=user, limit=limit)}
