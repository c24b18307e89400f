"""What the submissions app announces, for higher apps (payments) and community (notifications,
reputation) to act on.

Every signal is sent after the transaction that made the change has committed (never for a change
rolled back), with `send_robust`: a failing receiver is logged and cannot undo the change.
Receivers get ids, not model instances, and should be quick (enqueue a task).

- `co_author_invited(entry_id, phase_id, user_id, lead_author_id)`: the lead author named `user_id` as
  a co-author of a draft (or changed the co-authors or shares); they should accept or decline it.
- `entry_submitted(entry_id, phase_id, challenge_id, author_ids)`
- `entry_withdrawn(entry_id, phase_id, author_ids)`
- `entry_disqualified(entry_id, phase_id, reason, author_ids)`
- `entry_scored(entry_id, phase_id, judge_id, author_ids)`: the judge has scored every criterion of the entry.
- `vote_cast(entry_id, voter_id, author_ids)` and `vote_retracted(entry_id, voter_id, author_ids)`
- `phase_awarded(phase_id, challenge_id, award_ids)`: the awards and their splits (`AwardShare`) are
  stored and the phase is `awarded`; sent once.
"""

from django.dispatch import Signal

from core.events import announce_on_commit as announce_on_commit

co_author_invited = Signal()
entry_submitted = Signal()
entry_withdrawn = Signal()
entry_disqualified = Signal()
entry_scored = Signal()
vote_cast = Signal()
vote_retracted = Signal()
phase_awarded = Signal()
