"""Reads of the community app."""

from django.db.models import QuerySet

from community.models import User


def member_list() -> QuerySet[User]:
    return User.objects.filter(is_active=True).order_by("display_name", "pk")
