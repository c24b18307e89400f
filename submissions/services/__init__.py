"""Writes of the submissions app; views, APIs, admin actions, commands and tasks all call these.

- `entries`: enter (create, submit), co-authors (name, accept or decline), replace the revision,
  withdraw, disqualify.
- `judging`: scores, recusals, votes.
- `awards`: confirm that entries stay unscored; award a phase (confirmed by the fingerprint of what
  was shown), with each award's split stored.
- `rules`: the judging rules of a challenge and of a phase.
"""

from submissions.services.awards import AwardChanged, AwardChoice, award_split, phase_award, phase_unscored_confirm
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
    "AwardChanged",
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
    "phase_unscored_confirm",
    "rules_editor_require",
    "vote_cast",
    "vote_retract",
]
