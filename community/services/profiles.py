"""Profiles: creating members and changing their profile, preferences and privacy settings."""

from typing import Any

from django.db import transaction

from community.models import User
from core.exceptions import ApplicationError

PROFILE_FIELDS = (
    "display_name", "country", "skills", "experience", "bio", "time_zone", "preferred_language", "avatar",
    "email_frequency", "email_muted_kinds", "show_earnings", "listed_in_directory",
)  # fmt: skip
AVATAR_MAX_BYTES = 2 * 1024 * 1024


def _clean_skills(skills: list[str]) -> list[str]:
    cleaned: list[str] = []
    for skill in skills:
        skill = skill.strip().lower()
        if skill and skill not in cleaned:
            cleaned.append(skill[:40])
    return cleaned[:30]


def _clean_kinds(kinds: list[str]) -> list[str]:
    from community.notifications import is_registered

    unknown = {kind for kind in kinds if not is_registered(kind)}
    if unknown:
        raise ApplicationError("Unknown notification kinds.", {"email_muted_kinds": sorted(unknown)})
    return sorted(set(kinds))


@transaction.atomic
def user_create(*, email: str, password: str | None, is_staff: bool = False, **profile: Any) -> User:
    email = User.objects.normalize_email(email).lower()
    if User.objects.filter(email__iexact=email).exists():
        raise ApplicationError("A member with this e-mail address already exists.", {"email": ["Already taken."]})
    unknown = set(profile) - set(PROFILE_FIELDS)
    if unknown:
        raise ApplicationError(f"Unknown profile fields: {', '.join(sorted(unknown))}")
    if "skills" in profile:
        profile["skills"] = _clean_skills(profile["skills"])
    user = User(email=email, is_staff=is_staff, **profile)
    user.set_password(password)
    user.full_clean()
    user.save()
    return user


@transaction.atomic
def user_update_profile(*, user: User, **changes: Any) -> User:
    unknown = set(changes) - set(PROFILE_FIELDS)
    if unknown:
        raise ApplicationError(f"Unknown profile fields: {', '.join(sorted(unknown))}")
    if "skills" in changes:
        changes["skills"] = _clean_skills(changes["skills"])
    if "email_muted_kinds" in changes:
        changes["email_muted_kinds"] = _clean_kinds(changes["email_muted_kinds"])
    if changes.get("avatar") is False:  # the form's "clear" box
        changes["avatar"] = ""
    avatar = changes.get("avatar")
    if avatar and getattr(avatar, "size", 0) > AVATAR_MAX_BYTES:
        raise ApplicationError("The avatar is larger than 2 MiB.", {"avatar": ["At most 2 MiB."]})
    for field, value in changes.items():
        setattr(user, field, value)
    user.full_clean(exclude=["password", "email"])
    user.save(update_fields=list(changes))
    return user
