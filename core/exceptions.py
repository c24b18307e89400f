from typing import Any


class ApplicationError(Exception):
    """A refusal the user can act on: bad input or a move the rules forbid.

    `message` is shown to the user; `extra` carries field messages (`{"field": ["why"]}`).
    The API turns it into HTTP 400, pages into a form error or a message.
    """

    def __init__(self, message: str, extra: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.extra = extra or {}
