"""Helpers every service of the app shares: locks, actors and validation."""

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext as _

from challenges.lifecycle import Role
from challenges.models import Challenge, Phase
from challenges.selectors import challenge_roles
from community.models import User
from core.actors import Actor
from core.exceptions import ApplicationError, NotAllowed


def lock_challenge(pk: int) -> Challenge:
    """The challenge row, locked until the transaction ends.

    Lock order everywhere: the challenge first, then its phases (by position). The time-driven
    path locks only a phase, and never waits for anything while holding it.
    """
    return Challenge.objects.select_for_update(of=("self",)).select_related("owner").get(pk=pk)


def lock_phase(pk: int) -> Phase:
    return Phase.objects.select_for_update(of=("self",)).get(pk=pk)


def actor_roles(*, actor: Actor, challenge: Challenge) -> set[Role]:
    """The roles a move is made in: the platform (`Actor.system`: another app's service or task)
    acts as SYSTEM, whoever it acts for (that member is only recorded); a member
    (`Actor.user`) in their relation to the challenge."""
    if actor.is_system:
        return {Role.SYSTEM}
    assert isinstance(actor.member, User)  # an actor is a saved member or the system
    return challenge_roles(user=actor.member, challenge=challenge)


def require_editor(*, by: User, challenge: Challenge) -> None:
    if not challenge_roles(user=by, challenge=challenge) & {Role.OWNER, Role.STAFF}:
        raise NotAllowed(_("Only the owner of the challenge or staff may change it."))


def validate(instance: models.Model, *, exclude: list[str] | None = None) -> None:
    """Model validation as a domain error with field messages."""
    try:
        instance.full_clean(exclude=exclude)
    except ValidationError as error:
        fields = error.message_dict if hasattr(error, "error_dict") else {"__all__": error.messages}
        first = next(iter(fields.values()))[0]
        raise ApplicationError(first, fields) from error
