"""Reads of the blueprints app, with their permission checks.

Fetchers named `<thing>_for_<role>` raise Http404 for what the user may not see (hidden or never
published blueprints look absent) and PermissionDenied for what they may see but not change.
"""

from dataclasses import dataclass, field
from typing import Any

from django.contrib.postgres.search import SearchQuery, SearchRank
from django.core.exceptions import PermissionDenied
from django.db.models import F, Prefetch, Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext_lazy as _

from blueprints.models import Blueprint, File, FileStatus, Revision
from core.pagination import bounded_count

SEARCH_CONFIG = "english"


class Sort:
    RELEVANCE = "relevance"
    NEWEST = "newest"
    MOST_FORKED = "forks"
    MOST_DOWNLOADED = "downloads"

    CHOICES = (
        (RELEVANCE, _("Relevance")),
        (NEWEST, _("Newest")),
        (MOST_FORKED, _("Most forked")),
        (MOST_DOWNLOADED, _("Most downloaded")),
    )


@dataclass(frozen=True)
class SearchFilters:
    query: str = ""
    category: str = ""
    licence: str = ""
    owner_id: int | None = None
    has_model: bool | None = None
    tag: str = ""
    sort: str = ""


def _is_staff(user: Any) -> bool:
    return bool(getattr(user, "is_staff", False))


# The rows of the library: the predicate of its partial indexes (migration 0004_scale_indexes).
# `last_published_at` is set whenever `latest_revision` is (services.revisions); naming it keeps the
# keyset orderings on NOT NULL values.
LISTED = Q(is_hidden=False, latest_revision__isnull=False, last_published_at__isnull=False)


def listed_blueprints() -> QuerySet[Blueprint]:
    """Blueprints everyone sees: published at least once and not hidden."""
    return Blueprint.objects.filter(LISTED)


def blueprints_visible_to(user: Any) -> QuerySet[Blueprint]:
    """What `user` may open (as `blueprint_for_viewer`): listed ones, their own, everything for staff."""
    if _is_staff(user):
        return Blueprint.objects.all()
    if getattr(user, "pk", None):
        return Blueprint.objects.filter(LISTED | Q(owner_id=user.pk))
    return listed_blueprints()


# Each sort is a keyset ordering: NOT NULL columns ending with `pk`, served by a partial index of
# the listed blueprints (migration 0004_scale_indexes).
SORT_ORDERINGS: dict[str, tuple[str, ...]] = {
    Sort.RELEVANCE: ("-rank", "-last_published_at", "-pk"),
    Sort.NEWEST: ("-last_published_at", "-pk"),
    Sort.MOST_FORKED: ("-fork_count", "-last_published_at", "-pk"),
    Sort.MOST_DOWNLOADED: ("-download_count", "-last_published_at", "-pk"),
}
# A search first reads the ids of up to SEARCH_MATCH_LIMIT matches (the GIN index, no order): that
# is the count ("1,000+"), and when there are no more, the page is sorted from those ids (a rare
# word's few matches are all ranked; no walk of the whole sort index looking for them). A common
# word (more matches) is paged by walking the sort's index, which soon finds enough matches; its
# relevance ranks only the newest SEARCH_CANDIDATES matches (40,000 matches cost ranking 500).
SEARCH_MATCH_LIMIT = 1000
SEARCH_CANDIDATES = 500


@dataclass(frozen=True)
class Listing:
    """The rows of a library page before pagination, the keyset ordering to page them by, and
    the matching rows to count (`core.pagination.bounded_count`)."""

    blueprints: QuerySet[Blueprint]
    ordering: tuple[str, ...]
    matches: QuerySet[Blueprint]
    counted: tuple[int, bool] | None = None  # (count, more) when the search has counted already


def blueprint_library(*, filters: SearchFilters) -> Listing:
    """Full-text search (title > tags > description) with filters and a sort, for keyset pages:
    each page one query bounded by its size (relevance: by SEARCH_CANDIDATES)."""
    sort = filters.sort or (Sort.RELEVANCE if filters.query.strip() else Sort.NEWEST)
    matches = listed_blueprints()
    if filters.category:
        matches = matches.filter(category=filters.category)
    if filters.licence:
        matches = matches.filter(licence=filters.licence)
    if filters.owner_id:
        matches = matches.filter(owner_id=filters.owner_id)
    if filters.has_model is not None:
        matches = matches.filter(has_model=filters.has_model)
    if filters.tag:
        matches = matches.filter(tags__contains=[filters.tag.strip().lower()])
    if not filters.query.strip():
        sort = Sort.NEWEST if sort == Sort.RELEVANCE else sort
        ordering = SORT_ORDERINGS.get(sort, SORT_ORDERINGS[Sort.NEWEST])
        return Listing(matches.select_related("owner", "latest_revision"), ordering, matches)
    query = SearchQuery(filters.query.strip(), search_type="websearch", config=SEARCH_CONFIG)
    matches = matches.filter(search_vector=query)
    ids = list(matches.order_by().values_list("pk", flat=True)[: SEARCH_MATCH_LIMIT + 1])
    counted = (min(len(ids), SEARCH_MATCH_LIMIT), len(ids) > SEARCH_MATCH_LIMIT)
    few = not counted[1]
    ordering = SORT_ORDERINGS.get(sort, SORT_ORDERINGS[Sort.NEWEST])
    if sort != Sort.RELEVANCE:
        rows = Blueprint.objects.filter(pk__in=ids) if few else matches
        return Listing(rows.select_related("owner", "latest_revision"), ordering, matches, counted)
    if few:
        candidates: Any = ids
    else:
        candidates = matches.order_by(*SORT_ORDERINGS[Sort.NEWEST]).values("pk")[:SEARCH_CANDIDATES]
    ranked = (
        Blueprint.objects.filter(pk__in=candidates)
        .select_related("owner", "latest_revision")
        .annotate(rank=SearchRank(F("search_vector"), query))
    )
    return Listing(ranked, ordering, matches, counted)


def blueprint_search(*, filters: SearchFilters) -> QuerySet[Blueprint]:
    """`blueprint_library`'s rows in its order (for callers that take the first few)."""
    listing = blueprint_library(filters=filters)
    return listing.blueprints.order_by(*listing.ordering)


OWNER_ORDERING = ("-updated_at", "-pk")


def blueprint_list_for_owner(*, user: Any) -> QuerySet[Blueprint]:
    """The member's own blueprints, drafts and hidden ones included (in OWNER_ORDERING)."""
    return (
        Blueprint.objects.filter(owner_id=user.pk).select_related("owner", "latest_revision").order_by(*OWNER_ORDERING)
    )


def blueprint_for_viewer(*, slug: str, user: Any) -> Blueprint:
    blueprint = (
        Blueprint.objects.select_related("owner", "latest_revision", "forked_from__blueprint__owner")
        .filter(slug=slug)
        .first()
    )
    if blueprint is None:
        raise Http404
    if blueprint.owner_id == getattr(user, "pk", None) or _is_staff(user):
        return blueprint
    if blueprint.is_hidden or blueprint.latest_revision_id is None:
        raise Http404
    return blueprint


def blueprint_for_owner(*, slug: str, user: Any) -> Blueprint:
    blueprint = blueprint_for_viewer(slug=slug, user=user)
    if blueprint.owner_id != getattr(user, "pk", None):
        raise PermissionDenied
    return blueprint


def _files_prefetch() -> "Prefetch[Any]":
    return Prefetch("files", queryset=File.objects.order_by("original_name"))


REVISION_ORDERING = ("-number", "-pk")  # (blueprint, number) is unique: its index serves the pages
REVISION_PAGE_SIZE = 20


def revisions_for_viewer(*, blueprint: Blueprint, user: Any) -> QuerySet[Revision]:
    revisions = blueprint.revisions.select_related("author").order_by(*REVISION_ORDERING)
    if blueprint.owner_id == getattr(user, "pk", None) or _is_staff(user):
        return revisions
    return revisions.filter(is_published=True, is_hidden=False)


def revision_for_viewer(*, blueprint: Blueprint, number: int, user: Any) -> Revision:
    revision = (
        revisions_for_viewer(blueprint=blueprint, user=user)
        .select_related("based_on__blueprint")
        .prefetch_related(_files_prefetch())
        .filter(number=number)
        .first()
    )
    if revision is None:
        raise Http404
    revision.blueprint = blueprint
    return revision


def revision_for_owner(*, slug: str, number: int, user: Any) -> tuple[Blueprint, Revision]:
    """Revision `number` of the blueprint, for its owner to change: 404 to whoever may not see it
    (a draft is its owner's and staff's: its existence stays private), 403 to whoever sees it but
    does not own the blueprint."""
    blueprint = blueprint_for_viewer(slug=slug, user=user)
    revision = revision_for_viewer(blueprint=blueprint, number=number, user=user)
    if blueprint.owner_id != getattr(user, "pk", None):
        raise PermissionDenied
    return blueprint, revision


def revision_by_id_for_viewer(*, pk: int, user: Any) -> Revision:
    revision = Revision.objects.select_related("blueprint__owner").filter(pk=pk).first()
    if revision is None:
        raise Http404
    blueprint = revision.blueprint
    if not (blueprint.owner_id == getattr(user, "pk", None) or _is_staff(user)) and (
        blueprint.is_hidden or not revision.is_published or revision.is_hidden
    ):
        raise Http404
    return revision_for_viewer(blueprint=blueprint, number=revision.number, user=user)


def file_for_viewer(*, pk: int, user: Any) -> File:
    file = File.objects.select_related("revision__blueprint__owner").filter(pk=pk).first()
    if file is None:
        raise Http404
    blueprint = file.revision.blueprint
    if blueprint.owner_id == getattr(user, "pk", None) or _is_staff(user):
        return file
    if blueprint.is_hidden or not file.revision.is_published or file.revision.is_hidden:
        raise Http404
    return file


def file_for_owner(*, pk: int, user: Any) -> File:
    file = file_for_viewer(pk=pk, user=user)
    if file.revision.blueprint.owner_id != getattr(user, "pk", None):
        raise PermissionDenied
    return file


# --- Lineage ----------------------------------------------------------------------------------


@dataclass
class LineageNode:
    blueprint: Blueprint
    children: list["LineageNode"] = field(default_factory=list)


@dataclass
class Lineage:
    ancestors: list[Blueprint]  # the root first; hidden ones stay in the chain for attribution
    descendants: list[LineageNode]  # a tree below this blueprint (listed blueprints only)
    descendant_count: int  # counted up to LINEAGE_COUNT_LIMIT
    descendants_more: bool = False  # more descendants than the tree shows (the oldest LINEAGE_LIMIT)
    count_more: bool = False  # more than LINEAGE_COUNT_LIMIT descendants


LINEAGE_LIMIT = 100
LINEAGE_COUNT_LIMIT = 1000


def blueprint_lineage(*, blueprint: Blueprint, limit: int = LINEAGE_LIMIT) -> Lineage:
    """Ancestors and descendants at any depth, in three queries (the `lineage` array holds the
    path): the tree shows the oldest `limit` descendants (a fork is younger than its parent, so
    the shown ones form a tree), the count stops at LINEAGE_COUNT_LIMIT."""
    by_id = {
        ancestor.pk: ancestor
        for ancestor in Blueprint.objects.filter(pk__in=blueprint.lineage).select_related("owner", "forked_from")
    }
    ancestors = [by_id[pk] for pk in blueprint.lineage if pk in by_id]
    descendants = listed_blueprints().filter(lineage__contains=[blueprint.pk])
    below = list(descendants.select_related("owner", "forked_from").order_by("created_at", "pk")[: limit + 1])
    truncated = len(below) > limit
    below = below[:limit]
    nodes = {node.pk: LineageNode(node) for node in below}
    roots: list[LineageNode] = []
    for node in below:
        parent_id = node.lineage[-1] if node.lineage else None
        if parent_id == blueprint.pk:
            roots.append(nodes[node.pk])
        elif parent_id in nodes:
            nodes[parent_id].children.append(nodes[node.pk])
        else:
            # Its parent is hidden or unpublished: show it under the nearest listed ancestor.
            nearest = next((pk for pk in reversed(node.lineage) if pk in nodes), None)
            (nodes[nearest].children if nearest else roots).append(nodes[node.pk])
    if truncated:
        count, count_more = bounded_count(descendants, limit=LINEAGE_COUNT_LIMIT)
    else:
        count, count_more = len(below), False
    return Lineage(
        ancestors=ancestors,
        descendants=roots,
        descendant_count=count,
        descendants_more=truncated,
        count_more=count_more,
    )


# --- Compare ----------------------------------------------------------------------------------


@dataclass
class FileChange:
    name: str
    old: File | None
    new: File | None


@dataclass
class Comparison:
    old: Revision
    new: Revision
    added: list[FileChange]
    removed: list[FileChange]
    changed: list[FileChange]
    unchanged: list[FileChange]


def revision_compare(*, old: Revision, new: Revision) -> Comparison:
    """Files matched by name: added, removed, changed (other bytes) and unchanged."""
    old_files = {file.original_name: file for file in old.files.all() if file.status == FileStatus.READY}
    new_files = {file.original_name: file for file in new.files.all() if file.status == FileStatus.READY}
    added, removed, changed, unchanged = [], [], [], []
    for name in sorted(old_files.keys() | new_files.keys(), key=str.lower):
        before, after = old_files.get(name), new_files.get(name)
        change = FileChange(name, before, after)
        if before is None:
            added.append(change)
        elif after is None:
            removed.append(change)
        elif before.sha256 != after.sha256:
            changed.append(change)
        else:
            unchanged.append(change)
    return Comparison(old, new, added, removed, changed, unchanged)
