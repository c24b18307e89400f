"""Who makes a change: a member (`Actor.user`) or the platform itself (`Actor.system`).

Every service that a person, a scheduled task or a provider's webhook may call takes an `Actor`
instead of a bare user or a `task=` string, so that system authority is granted by a type and
never by "some string was given". A system actor may name the member it acts for (the staff
member who recorded a payment): that member is recorded, the authority stays the system's.
"""

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser


@dataclass(frozen=True, slots=True)
class Actor:
    member: "AbstractBaseUser | None"
    system_name: str = ""

    def __post_init__(self) -> None:
        if not self.system_name and self.member is None:
            raise ValueError("An actor is a member (Actor.user) or a named part of the system (Actor.system).")

    @classmethod
    def user(cls, user: "AbstractBaseUser") -> "Actor":
        """A person acting with their own roles (owner, judge, staff, author ...)."""
        if user is None or not getattr(user, "pk", None):
            raise ValueError("Actor.user needs a saved user.")
        return cls(member=user)

    @classmethod
    def system(cls, name: str, *, on_behalf_of: "AbstractBaseUser | None" = None) -> "Actor":
        """The platform acting: a task, a webhook or another app's service, by a name kept in records."""
        if not name or not name.strip():
            raise ValueError("Actor.system needs the name of the task or service that acts.")
        return cls(member=on_behalf_of, system_name=name)

    @property
    def is_system(self) -> bool:
        return bool(self.system_name)

    @property
    def recorded_user(self) -> "AbstractBaseUser | None":
        """The member to write into a record's "by" column (None for the system on its own)."""
        return self.member

    def describe(self) -> str:
        if self.is_system:
            return f"system:{self.system_name}" + (f" for user {self.member.pk}" if self.member is not None else "")
        assert self.member is not None
        return f"user {self.member.pk}"

    def __repr__(self) -> str:
        return f"Actor({self.describe()})"


def as_actor(value: Any) -> Actor:
    """An `Actor` passed through, or a user wrapped as one (for callers not yet converted)."""
    if isinstance(value, Actor):
        return value
    return Actor.user(value)
