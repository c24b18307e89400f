"""The two state machines of the submissions app: an entry's status and a co-author's answer.

Each allowed move names who may make it, by their relation to the entry:

- `LEAD_AUTHOR`: submits the draft, or withdraws it (until the phase is awarded);
- `OWNER`, `STAFF` (of the challenge): disqualify a submitted entry, with a reason;
- `CO_AUTHOR`: the co-author named on the entry answers once, for themselves.

A move not in a table is a conflict; a move the roles do not allow is refused with its message.
The writers are `submissions.services.entries.entry_move` (with an `EntryStatusChange` record)
and `acceptance_move` (the answer and its time are kept on the `EntryAuthor` row).
"""

from enum import StrEnum

from django.utils.translation import gettext, gettext_lazy

from core.statemachine import Move, StateMachine
from submissions.models import Acceptance, EntryStatus


class Role(StrEnum):
    LEAD_AUTHOR = "lead_author"
    CO_AUTHOR = "co_author"
    OWNER = "owner"
    STAFF = "staff"


LEAD, CO, OWN, STF = Role.LEAD_AUTHOR, Role.CO_AUTHOR, Role.OWNER, Role.STAFF
E = EntryStatus

ONLY_THE_LEAD = gettext_lazy("Only the lead author can change this entry.")

ENTRY = StateMachine(
    "entry",
    [
        Move(E.DRAFT, E.SUBMITTED, roles={LEAD}, refusal=ONLY_THE_LEAD),
        Move(E.DRAFT, E.WITHDRAWN, roles={LEAD}, refusal=ONLY_THE_LEAD),
        Move(E.SUBMITTED, E.WITHDRAWN, roles={LEAD}, refusal=ONLY_THE_LEAD),
        Move(
            E.SUBMITTED,
            E.DISQUALIFIED,
            roles={OWN, STF},
            refusal=gettext_lazy("Only the challenge's owner or staff may disqualify an entry."),
        ),
    ],
    labels=lambda status: EntryStatus(status).label,
    conflict=gettext_lazy("An entry cannot move from “%(from)s” to “%(to)s”."),
)


def _answered_already(source: str, target: str) -> str:
    return gettext(
        "You have already answered (“%(answer)s”). The lead author can ask you again by changing the co-authors."
    ) % {"answer": Acceptance(source).label}


# A co-author answers once; the lead author asks again by changing the co-authors or shares.
ACCEPTANCE = StateMachine(
    "acceptance",
    [
        Move(Acceptance.INVITED, Acceptance.ACCEPTED, roles={CO}),
        Move(Acceptance.INVITED, Acceptance.DECLINED, roles={CO}),
    ],
    labels=lambda answer: Acceptance(answer).label,
    conflict=_answered_already,
    refusal=gettext_lazy("Only a co-author named on this entry can answer for themselves."),
)
