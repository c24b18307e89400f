"""Locks and checks every service of the app shares.

Lock order everywhere (the same as `challenges.services`): the challenge, then the phase, then
entries. Entering, scoring and voting lock only the phase and the entry; awarding locks the
challenge and the phase (and `challenges.services.phase_transition` takes the same locks again).
"""

from django.db.models import Q

from challenges.models import Phase
from submissions.models import Entry


def lock_phase(pk: int) -> Phase:
    return Phase.objects.select_for_update(of=("self",)).select_related("challenge").get(pk=pk)


def lock_entry(pk: int) -> Entry:
    return Entry.objects.select_for_update(of=("self",)).select_related("revision__blueprint").get(pk=pk)


def is_author(entry: Entry, user_id: int) -> bool:
    return entry.authors.filter(Q(user_id=user_id)).exists()
