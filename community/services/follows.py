"""Follows: members follow members, challenges, blueprints (any registered, visible target)."""

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils.translation import gettext as _

from community.models import Follow, User
from community.notifications import CommunityKind
from community.services.notifications import notify
from community.targets import target_lookup
from core.exceptions import ApplicationError


@transaction.atomic
def follow_create(*, user: User, label: str, object_id: int) -> Follow:
    """Follow a target the member may see (404 otherwise). Following twice keeps one follow."""
    target, obj = target_lookup(label=label, object_id=object_id, user=user, purpose="follow")
    if isinstance(obj, User) and obj.pk == user.pk:
        raise ApplicationError(_("You cannot follow yourself."))
    content_type = ContentType.objects.get_for_model(target.model)
    follow, created = Follow.objects.get_or_create(follower=user, content_type=content_type, object_id=obj.pk)
    if created and isinstance(obj, User):
        notify(
            recipient_ids=[obj.pk],
            kind=CommunityKind.NEW_FOLLOWER,
            event_key=f"follow:{user.pk}:{obj.pk}",
            context={"actor": user.public_name},
            url=target.url(user),
            actor_id=user.pk,
        )
    return follow


@transaction.atomic
def follow_delete(*, user: User, label: str, object_id: int) -> bool:
    """Stop following; True if there was a follow. Works for targets no longer visible too."""
    from community.targets import registered

    target = registered(label)
    if target is None:
        return False
    content_type = ContentType.objects.get_for_model(target.model)
    deleted, _count = Follow.objects.filter(follower=user, content_type=content_type, object_id=object_id).delete()
    return deleted > 0
