"""Locks shared by the payments services.

Lock order everywhere: the challenge row, then payouts (by primary key), then ledger accounts
with a floor (by primary key). No provider is called while any of them is held.
"""

from challenges.models import Challenge


def challenge_lock(pk: int) -> Challenge:
    return Challenge.objects.select_for_update(of=("self",)).select_related("owner").get(pk=pk)
