from typing import Any


class ApplicationError(Exception):
    """A refusal the user can act on: bad input or a move the rules forbid.

    `message` is shown to the user; `extra` carries field messages (`{"field": ["why"]}`).
    The API turns it into HTTP `status` (400 here; the subclasses below say 403 and 409), pages
    into a form error or a message.
    """

    status = 400

    def __init__(self, message: str, extra: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.extra = extra or {}


class NotAllowed(ApplicationError):
    """The actor may not do this to this object (HTTP 403): the rules allow it to someone else."""

    status = 403


class Conflict(ApplicationError):
    """The object is in a state that forbids the move (HTTP 409): retrying later or elsewhere may work."""

    status = 409


class RateLimited(ApplicationError):
    """Too many of these too fast (HTTP 429): `retry_after` says in how many seconds it works again."""

    status = 429

    def __init__(self, message: str, *, retry_after: int, extra: dict[str, Any] | None = None) -> None:
        super().__init__(message, extra)
        self.retry_after = max(1, int(retry_after))
