"""The ancestors a prize credits: following `forked_from` up the winning blueprint's lineage."""

from blueprints.models import Blueprint
from submissions.models import Entry
from submissions.splits import Ancestor


def entry_ancestors(*, entry: Entry, generations: int) -> list[Ancestor]:
    """Generation 1 is the author of the revision the entry's blueprint was forked from, generation 2
    the author of the revision that blueprint was forked from, and so on, up to `generations`.

    Two queries at any depth (plus one for `entry.revision` if it is not loaded yet): the blueprint's
    `lineage` array, which holds every ancestor blueprint's id, then those blueprints with the
    revisions they were forked from.
    """
    blueprint = Blueprint.objects.only("pk", "lineage", "forked_from").get(pk=entry.revision.blueprint_id)
    chain = Blueprint.objects.filter(pk__in=[*blueprint.lineage, blueprint.pk]).select_related("forked_from")
    by_id = {item.pk: item for item in chain}
    ancestors: list[Ancestor] = []
    current = by_id.get(blueprint.pk)
    generation = 1
    while current is not None and current.forked_from is not None and generation <= generations:
        source = current.forked_from
        ancestors.append(Ancestor(generation=generation, author_id=source.author_id, blueprint_id=source.blueprint_id))
        current = by_id.get(source.blueprint_id)
        generation += 1
    return ancestors
