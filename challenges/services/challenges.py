"""Writing challenges: the draft, its brief (versioned once published), budget and invitations."""

import secrets
from decimal import Decimal
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.text import slugify
from django.utils.translation import gettext as _

from challenges import signals
from challenges.lifecycle import CHALLENGE_FINAL
from challenges.models import BRIEF_FIELDS, BriefVersion, Challenge, ChallengeInvitation, ChallengeStatus
from challenges.selectors import challenge_prize_sum
from challenges.services.common import lock_challenge, require_editor, validate
from community.models import User
from core.exceptions import ApplicationError, Conflict
from core.money import money

# Paths under /challenges/ that a slug must not shadow.
RESERVED_SLUGS = frozenset({"new", "dashboard", "invitations", "judging", "api"})
SETTINGS_FIELDS = ("budget", "currency", "sealed_entries", "invite_only", "cover_image")
EDITABLE_FIELDS = frozenset(BRIEF_FIELDS) | frozenset(SETTINGS_FIELDS)
COVER_MAX_BYTES = 5 * 1024 * 1024


def _unique_slug(title: str) -> str:
    base = slugify(title)[:140].strip("-") or "challenge"
    slug = base
    while slug in RESERVED_SLUGS or Challenge.objects.filter(slug=slug).exists():
        slug = f"{base}-{secrets.token_hex(3)}"
    return slug


def _check_cover(cover: Any) -> None:
    if isinstance(cover, UploadedFile) and (cover.size or 0) > COVER_MAX_BYTES:
        raise ApplicationError(_("The cover image is larger than 5 MiB."), {"cover_image": [_("At most 5 MiB.")]})


@transaction.atomic
def challenge_create(
    *,
    owner: User,
    title: str,
    summary: str,
    vehicle_type: str,
    budget: Decimal | str,
    currency: str = "EUR",
    **details: Any,
) -> Challenge:
    """A new draft challenge of `owner` (who becomes its client)."""
    unknown = set(details) - (EDITABLE_FIELDS - {"budget", "currency"})
    if unknown:
        raise ApplicationError(_("Unknown fields: %(fields)s") % {"fields": ", ".join(sorted(unknown))})
    _check_cover(details.get("cover_image"))
    challenge = Challenge(
        owner=owner,
        title=title.strip(),
        summary=summary.strip(),
        vehicle_type=vehicle_type,
        budget=money(budget, field="budget"),
        currency=currency,
        slug=_unique_slug(title),
        **details,
    )
    validate(challenge)
    challenge.save()
    return challenge


@transaction.atomic
def challenge_update(*, challenge: Challenge, by: User, change_note: str = "", **changes: Any) -> Challenge:
    """Edit a challenge. Once published, a changed brief becomes a new version with `change_note`.

    The budget and currency are fixed once the draft is submitted for funding; the budget never
    drops below the prizes already promised (checked under the challenge lock).
    """
    locked = lock_challenge(challenge.pk)
    require_editor(by=by, challenge=locked)
    if locked.status in CHALLENGE_FINAL:
        raise Conflict(_("A completed or cancelled challenge cannot be changed."))
    unknown = set(changes) - EDITABLE_FIELDS
    if unknown:
        raise ApplicationError(_("Unknown fields: %(fields)s") % {"fields": ", ".join(sorted(unknown))})
    changes = {field: value for field, value in changes.items() if getattr(locked, field) != value}
    if not changes:
        return locked
    if {"budget", "currency"} & set(changes):
        if locked.status != ChallengeStatus.DRAFT:
            raise Conflict(_("The budget is fixed once the challenge is submitted for funding."))
        if "budget" in changes:
            changes["budget"] = money(changes["budget"], field="budget")
            promised = challenge_prize_sum(challenge_id=locked.pk)
            if changes["budget"] < promised:
                message = _("The prizes already add up to %(amount)s %(currency)s; the budget cannot be less.") % {
                    "amount": promised,
                    "currency": locked.currency,
                }
                raise ApplicationError(message, {"budget": [message]})
    if {"sealed_entries", "invite_only"} & set(changes) and locked.is_published:
        raise Conflict(_("Sealing and invitation rules are fixed once the challenge is published."))
    _check_cover(changes.get("cover_image"))
    before = locked.brief_snapshot()
    for field, value in changes.items():
        setattr(locked, field, value)
    validate(locked)
    fields = [*changes, "updated_at"]
    after = locked.brief_snapshot()
    if locked.is_published and after != before:
        if not change_note.strip():
            message = _("Say what changed: members read every version of a published brief.")
            raise ApplicationError(message, {"change_note": [message]})
        locked.brief_version += 1
        fields.append("brief_version")
        BriefVersion.objects.create(
            challenge=locked, number=locked.brief_version, brief=after, change_note=change_note.strip(), created_by=by
        )
        signals.announce_on_commit(
            signals.brief_revised,
            Challenge,
            challenge_id=locked.pk,
            version=locked.brief_version,
            change_note=change_note.strip(),
        )
    locked.save(update_fields=fields)
    return locked


@transaction.atomic
def challenge_invite_member(*, challenge: Challenge, by: User, email: str) -> ChallengeInvitation:
    """Let the member with `email` (now or once they join) read and enter an invite-only challenge."""
    locked = lock_challenge(challenge.pk)
    require_editor(by=by, challenge=locked)
    if locked.status in CHALLENGE_FINAL:
        raise Conflict(_("A completed or cancelled challenge cannot be changed."))
    email = User.objects.normalize_email(email.strip()).lower()
    invitation = ChallengeInvitation(challenge=locked, email=email, invited_by=by)
    validate(invitation, exclude=["challenge", "invited_by"])
    if ChallengeInvitation.objects.filter(challenge=locked, email=email).exists():
        raise ApplicationError(
            _("%(email)s is already invited.") % {"email": email}, {"email": [_("Already invited.")]}
        )
    invitation.save()
    return invitation


@transaction.atomic
def challenge_uninvite_member(*, invitation: ChallengeInvitation, by: User) -> None:
    locked = lock_challenge(invitation.challenge_id)
    require_editor(by=by, challenge=locked)
    invitation.delete()
