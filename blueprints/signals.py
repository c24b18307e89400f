"""What the blueprints app announces, for higher apps (submissions, community reputation, ...) to act on.

Every signal is sent after the transaction that made the change has committed (never for a change
rolled back), with `send_robust`: a failing receiver is logged and cannot undo the change.
Receivers get ids, not model instances, and should be quick (enqueue a task).

- `blueprint_created(blueprint_id, owner_id)`
- `revision_published(blueprint_id, revision_id, number, author_id)`
- `blueprint_forked(blueprint_id, owner_id, parent_blueprint_id, parent_revision_id)`
- `file_processed(file_id, revision_id, blueprint_id, status, rejection_code)`: a file became
  `ready` or `rejected` (`rejection_code` is "" when ready).
- `file_downloaded(file_id, blueprint_id, user_id)`
- `blueprint_hidden(blueprint_id, by_id)` and `revision_hidden(revision_id, blueprint_id, by_id)`:
  staff took them out of view (published data is hidden, never destroyed).
"""

from django.dispatch import Signal

from core.events import announce_on_commit as announce_on_commit

blueprint_created = Signal()
revision_published = Signal()
blueprint_forked = Signal()
file_processed = Signal()
file_downloaded = Signal()
blueprint_hidden = Signal()
revision_hidden = Signal()
