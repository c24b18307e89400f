"""What members can comment on and follow, registered by the apps that own those models.

`community` is the lowest app and imports none of the others: each higher app registers its
models here (from its `community_events` module, imported in `AppConfig.ready()`), with three
functions: who may see an object, its page and its title. Comments and follows of an object
`can_view` refuses are answered with 404, which is how sealed entries stay sealed.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import QuerySet
from django.http import Http404


@dataclass(frozen=True)
class Target:
    model: type[models.Model]
    can_view: Callable[[Any, Any], bool]
    url: Callable[[Any], str]
    title: Callable[[Any], str]
    commentable: bool = True
    followable: bool = True
    # The objects `user` may see, as one queryset (with what `url` and `title` read joined in):
    # lets `visible_objects` check a whole page of targets in one query. Without it each object
    # costs a `can_view` call.
    visible: Callable[[Any], QuerySet[Any]] | None = None

    @property
    def label(self) -> str:
        """`app_label.model`, the name the API and forms use."""
        return self.model._meta.label_lower


_registry: dict[str, Target] = {}


def register(
    model: type[models.Model],
    *,
    can_view: Callable[[Any, Any], bool],
    url: Callable[[Any], str],
    title: Callable[[Any], str],
    commentable: bool = True,
    followable: bool = True,
    visible: Callable[[Any], QuerySet[Any]] | None = None,
) -> None:
    """Make `model` commentable and/or followable. Registering again replaces the entry.

    `visible(user)` (recommended) is the queryset of the objects `user` may see, agreeing with
    `can_view`; lists of targets (the feed, follows) then cost one query per kind of target."""
    target = Target(model, can_view, url, title, commentable, followable, visible)
    _registry[target.label] = target


def registered(label: str) -> Target | None:
    return _registry.get(label.lower())


def target_of_model(model: type[models.Model] | models.Model) -> Target | None:
    return _registry.get(model._meta.label_lower)


def labels() -> Iterable[str]:
    return sorted(_registry)


def target_lookup(*, label: str, object_id: int, user: Any, purpose: str = "comment") -> tuple[Target, Any]:
    """The registered target `label`/`object_id` if `user` may see it (404 otherwise, and for
    labels that are not registered for `purpose`: "comment" or "follow")."""
    target = registered(label)
    if target is None or (purpose == "comment" and not target.commentable):
        raise Http404
    if purpose == "follow" and not target.followable:
        raise Http404
    obj = target.model._default_manager.filter(pk=object_id).first()
    if obj is None or not target.can_view(user, obj):
        raise Http404
    return target, obj


def visible_objects(*, user: Any, pairs: Iterable[tuple[int, int]]) -> dict[tuple[int, int], tuple[Target, Any]]:
    """`{(content_type_id, object_id): (target, obj)}` for the pairs `user` may see.

    One query per kind of target, whatever the number of objects (the activity feed and the
    following page use it; community/tests/test_visible_objects.py): every target registered
    today gives `visible`. One registered without it would cost one `can_view` per object.
    """
    by_type: dict[int, set[int]] = {}
    for content_type_id, object_id in pairs:
        by_type.setdefault(content_type_id, set()).add(object_id)
    visible: dict[tuple[int, int], tuple[Target, Any]] = {}
    for content_type_id, object_ids in by_type.items():
        model = ContentType.objects.get_for_id(content_type_id).model_class()
        target = target_of_model(model) if model is not None else None
        if target is None:
            continue
        if target.visible is not None:
            for obj in target.visible(user).filter(pk__in=object_ids):
                visible[(content_type_id, obj.pk)] = (target, obj)
            continue
        for obj in target.model._default_manager.filter(pk__in=object_ids):
            if target.can_view(user, obj):
                visible[(content_type_id, obj.pk)] = (target, obj)
    return visible
