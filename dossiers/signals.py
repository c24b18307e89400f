"""What the dossiers app announces (after commit, with `send_robust`; receivers get ids).

- `version_recorded(version_id, challenge_id)`: `dossier_version_record` made a new dossier version
  (never sent for a repeated call that found the same awards).
"""

from django.dispatch import Signal

version_recorded = Signal()
