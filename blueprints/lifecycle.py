"""The state machine of a blueprint file's status: processed once, re-run by staff if it failed.

- `SYSTEM`: the platform's own tasks and checks (`Actor.system`): processing marks a file ready
  or rejected, the upload check rejects bytes of the wrong size, the sweeper rejects uploads
  never completed;
- `STAFF`: re-run the processing of a file whose processing failed (its upload is kept for that).

A move not in the table is a conflict; a move the roles do not allow is refused. The writer is
`blueprints.services.files.file_move`, which records each move as a `FileStatusChange`.
"""

from enum import StrEnum

from django.utils.translation import gettext_lazy

from blueprints.models import FileStatus
from core.statemachine import Move, StateMachine


class Role(StrEnum):
    SYSTEM = "system"
    STAFF = "staff"


F = FileStatus

FILE = StateMachine(
    "file",
    [
        Move(F.PENDING, F.READY, roles={Role.SYSTEM}),
        Move(F.PENDING, F.REJECTED, roles={Role.SYSTEM}),
        Move(F.REJECTED, F.PENDING, roles={Role.STAFF}),
    ],
    labels=lambda status: FileStatus(status).label,
    conflict=gettext_lazy("A file cannot go from %(from)s to %(to)s."),
    refusal=gettext_lazy("Only staff can do this."),
)
