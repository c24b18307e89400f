"""Reads of the blueprints app, with their permission checks.

Fetchers named `<thing>_for_<role>` raise Http404 for what the user may not see (hidden or never
published blueprints look absent) and PermissionDenied for what they may see but not change.
"""

from dataclasses import dataclass, field
from typing import Any

from django.contrib.postgres.search import SearchQuery, SearchRank
from django.core.exceptions import PermissionDenied
from django.db.models import F, Prefetch, QuerySet
from django.http import Http404
from django.utils.translation import gettext_lazy as _

from blueprints.models import Blueprint, File, FileStatus, Revision

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


def listed_blueprints() -> QuerySet[Blueprint]:
    """Blueprints everyone sees: published at least once and not hidden."""
    return Blueprint.objects.filter(is_hidden=False, latest_revision__isnull=False)


def blueprint_search(*, filters: SearchFilters) -> QuerySet[Blueprint]:
    """Full-text search (title > tags > description) with filters and a sort; one query per page."""
    blueprints = listed_blueprints().select_related("owner", "latest_revision")
    if filters.category:
        blueprints = blueprints.filter(category=filters.category)
    if filters.licence:
        blueprints = blueprints.filter(licence=filters.licence)
    if filters.owner_id:
        blueprints = blueprints.filter(owner_id=filters.owner_id)
    if filters.has_model is not None:
        blueprints = blueprints.filter(has_model=filters.has_model)
    if filters.tag:
        blueprints = blueprints.filter(tags__contains=[filters.tag.strip().lower()])
    sort = filters.sort or (Sort.RELEVANCE if filters.query.strip() else Sort.NEWEST)
    if filters.query.strip():
        query = SearchQuery(filters.query.strip(), search_type="websearch", config=SEARCH_CONFIG)
        blueprints = blueprints.filter(search_vector=query).annotate(rank=SearchRank(F("search_vector"), query))
    elif sort == Sort.RELEVANCE:
        sort = Sort.NEWEST
    order = {
        Sort.RELEVANCE: ("-rank", "-last_published_at", "-pk"),
        Sort.NEWEST: ("-last_published_at", "-pk"),
        Sort.MOST_FORKED: ("-fork_count", "-last_published_at", "-pk"),
        Sort.MOST_DOWNLOADED: ("-download_count", "-last_published_at", "-pk"),
    }.get(sort, ("-last_published_at", "-pk"))
    return blueprints.order_by(*order)


def blueprint_list_for_owner(*, user: Any) -> QuerySet[Blueprint]:
    """The member's own blueprints, drafts and hidden ones included."""
    return (
        Blueprint.objects.filter(owner_id=user.pk)
        .select_related("owner", "latest_revision")
        .order_by("-updated_at", "-pk")
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


def revisions_for_viewer(*, blueprint: Blueprint, user: Any) -> QuerySet[Revision]:
    revisions = blueprint.revisions.select_related("author").order_by("-number")
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


def draft_for_owner(*, blueprint: Blueprint, user: Any) -> Revision | None:
    if blueprint.owner_id != getattr(user, "pk", None):
        raise PermissionDenied
    return blueprint.revisions.filter(is_published=False).prefetch_related(_files_prefetch()).first()


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
    descendant_count: int


def blueprint_lineage(*, blueprint: Blueprint) -> Lineage:
    """Ancestors and descendants at any depth, in two queries (the `lineage` array holds the path)."""
    by_id = {
        ancestor.pk: ancestor
        for ancestor in Blueprint.objects.filter(pk__in=blueprint.lineage).select_related("owner", "forked_from")
    }
    ancestors = [by_id[pk] for pk in blueprint.lineage if pk in by_id]
    below = list(
        listed_blueprints()
        .filter(lineage__contains=[blueprint.pk])
        .select_related("owner", "forked_from")
        .order_by("created_at", "pk")
    )
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
    return Lineage(ancestors=ancestors, descendants=roots, descendant_count=len(below))


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
