"""Writes of the submissions app; views, APIs, admin actions, commands and tasks all call these.

- `entries`: enter (create, submit), co-authors (name, accept or decline), replace the revision,
  withdraw, disqualify.
- `judging`: scores, recusals, votes.
- `awards`: award a phase, with each award's split stored.
- `rules`: the judging rules of a challenge and of a phase.
"""

from submissions.services.awards import AwardChoice, award_split, phase_award
from submissions.services.entries import (
    CoAuthor,
    entry_co_author_respond,
    entry_co_authors_set,
    entry_create,
    entry_disqualify,
    entry_replace_revision,
    entry_submit,
    entry_withdraw,
)
from submissions.services.judging import ScoreInput, entry_recuse, entry_score, vote_cast, vote_retract
from submissions.services.rules import judging_rules_set, phase_rules_set, rules_editor_require

__all__ = [
    "AwardChoice",
    "CoAuthor",
    "ScoreInput",
    "award_split",
    "entry_co_author_respond",
    "entry_co_authors_set",
    "entry_create",
    "entry_disqualify",
    "entry_recuse",
    "entry_replace_revision",
    "entry_score",
    "entry_submit",
    "entry_withdraw",
    "judging_rules_set",
    "phase_award",
    "phase_rules_set",
    "rules_editor_require",
    "vote_cast",
    "vote_retract",
]
