"""Creating, editing, forking and hiding blueprints."""

import re
import secrets
from collections.abc import Iterable
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from blueprints import signals
from blueprints.licences import DEFAULT_LICENCE, Licence, fork_licences
from blueprints.models import Blueprint, File, FileStatus, PartCategory, Revision
from blueprints.services.common import require_member, require_owner, require_staff
from community.models import User
from core.caching import bump
from core.exceptions import ApplicationError, Conflict

MAX_TAGS = 20
_TAG_JUNK = re.compile(r"[^\w\- ]+")
EDITABLE_FIELDS = ("title", "description", "category", "tags", "licence")


def clean_tags(tags: Iterable[str]) -> list[str]:
    """Lower-case, trimmed, de-duplicated tags of letters, digits, spaces and hyphens (at most 20)."""
    cleaned: list[str] = []
    for tag in tags:
        tag = " ".join(_TAG_JUNK.sub(" ", str(tag)).split()).lower()[:40].strip()
        if tag and tag not in cleaned:
            cleaned.append(tag)
    return cleaned[:MAX_TAGS]


def _check_fields(*, title: str, description: str, category: str, licence: str) -> None:
    errors: dict[str, list[str]] = {}
    if not title.strip():
        errors["title"] = [_("A title is required.")]
    elif len(title) > 200:
        errors["title"] = [_("At most 200 characters.")]
    if len(description) > 20000:
        errors["description"] = [_("At most 20,000 characters.")]
    if category not in PartCategory.values:
        errors["category"] = [_("Choose one of the part categories.")]
    if licence not in Licence.values:
        errors["licence"] = [_("Choose one of the open licences.")]
    if errors:
        raise ApplicationError(_("Please correct the marked fields."), {"fields": errors})


# Path segments the pages and the API use next to `<slug>/`.
RESERVED_SLUGS = frozenset({"new", "mine", "files", "compare", "revisions", "search", "api"})


def _slug_for(title: str) -> str:
    base = slugify(title)[:80].strip("-") or "blueprint"
    if base not in RESERVED_SLUGS and not Blueprint.objects.filter(slug=base).exists():
        return base
    for number in range(2, 50):
        candidate = f"{base}-{number}"
        if not Blueprint.objects.filter(slug=candidate).exists():
            return candidate
    return f"{base}-{secrets.token_hex(4)}"


def _save_with_unique_slug(blueprint: Blueprint) -> None:
    blueprint.slug = _slug_for(blueprint.title)
    try:
        with transaction.atomic():
            blueprint.save()
    except IntegrityError:
        # Someone took the slug between the check and the insert.
        blueprint.slug = f"{slugify(blueprint.title)[:80].strip('-') or 'blueprint'}-{secrets.token_hex(4)}"
        blueprint.save()


@transaction.atomic
def blueprint_create(
    *,
    owner: User,
    title: str,
    description: str = "",
    category: str = PartCategory.OTHER,
    tags: Iterable[str] = (),
    licence: str = DEFAULT_LICENCE,
) -> Blueprint:
    """A new blueprint with an empty draft revision 1 to upload files into."""
    require_member(owner)
    title = title.strip()
    _check_fields(title=title, description=description, category=category, licence=licence)
    blueprint = Blueprint(
        owner=owner,
        title=title,
        description=description,
        category=category,
        tags=clean_tags(tags),
        licence=licence,
    )
    _save_with_unique_slug(blueprint)
    Revision.objects.create(blueprint=blueprint, number=1, author=owner)
    signals.announce_on_commit(signals.blueprint_created, Blueprint, blueprint_id=blueprint.pk, owner_id=owner.pk)
    return blueprint


@transaction.atomic
def blueprint_update(*, blueprint: Blueprint, user: User, **changes: Any) -> Blueprint:
    """Edit title, description, category, tags or licence (the licence only until first published)."""
    require_owner(blueprint, user)
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise ApplicationError(_("These fields cannot be changed: %(fields)s") % {"fields": ", ".join(sorted(unknown))})
    blueprint = (
        Blueprint.objects.select_for_update(of=("self",)).select_related("forked_from__blueprint").get(pk=blueprint.pk)
    )
    if "tags" in changes:
        changes["tags"] = clean_tags(changes["tags"])
    if "title" in changes:
        changes["title"] = str(changes["title"]).strip()
    licence = changes.get("licence", blueprint.licence)
    _check_fields(
        title=changes.get("title", blueprint.title),
        description=changes.get("description", blueprint.description),
        category=changes.get("category", blueprint.category),
        licence=licence,
    )
    if licence != blueprint.licence:
        if blueprint.revisions.filter(is_published=True).exists():
            raise Conflict(
                _("The licence cannot change once a revision is published: those files were shared under it."),
                {"fields": {"licence": [_("Published under %(licence)s.") % {"licence": blueprint.licence}]}},
            )
        _check_fork_licence(blueprint.forked_from, licence)
    changed = [field for field, value in changes.items() if getattr(blueprint, field) != value]
    for field in changed:
        setattr(blueprint, field, changes[field])
    if changed:
        blueprint.save(update_fields=[*changed, "updated_at"])
    return blueprint


def _check_fork_licence(parent: Revision | None, licence: str) -> None:
    if parent is None:
        return
    allowed = fork_licences(parent.blueprint.licence)
    if licence not in allowed:
        raise ApplicationError(
            _("A fork of a blueprint under %(parent)s may only use: %(allowed)s.")
            % {"parent": parent.blueprint.licence, "allowed": ", ".join(allowed)},
            {"fields": {"licence": [_("Not compatible with the original licence.")]}},
        )


def copy_files(*, source: Revision, target: Revision) -> list[File]:
    """Carry the ready files of `source` into the draft `target`: new rows, the same keys, no bytes copied."""
    carried = [
        File(
            revision=target,
            original_name=file.original_name,
            file_type=file.file_type,
            kind=file.kind,
            content_type=file.content_type,
            size=file.size,
            sha256=file.sha256,
            status=FileStatus.READY,
            storage_key=file.storage_key,
            preview_key=file.preview_key,
            processed_at=file.processed_at,
            image_width=file.image_width,
            image_height=file.image_height,
            triangle_count=file.triangle_count,
            bbox_min=file.bbox_min,
            bbox_max=file.bbox_max,
            volume=file.volume,
            is_watertight=file.is_watertight,
        )
        for file in source.files.filter(status=FileStatus.READY).order_by("original_name")
    ]
    bump("blueprints")
    return File.objects.bulk_create(carried)


@transaction.atomic
def blueprint_fork(
    *,
    blueprint: Blueprint,
    user: User,
    revision: Revision | None = None,
    title: str | None = None,
    licence: str | None = None,
) -> Blueprint:
    """A new blueprint owned by `user` whose draft revision 1 holds the files of `revision`
    (by default the latest published one): the same keys, no bytes copied. The lineage is recorded."""
    require_member(user)
    parent = Blueprint.objects.select_related("latest_revision").get(pk=blueprint.pk)
    source = revision or parent.latest_revision
    if parent.is_hidden or source is None or source.blueprint_id != parent.pk:
        raise Conflict(_("Only published blueprints can be forked."))
    source = Revision.objects.select_related("blueprint").get(pk=source.pk)
    if not source.is_published or source.is_hidden:
        raise Conflict(_("Only published revisions can be forked."))
    licence = licence or parent.licence
    _check_fork_licence(source, licence)
    fork = Blueprint(
        owner=user,
        title=(title or parent.title).strip()[:200],
        description=parent.description,
        category=parent.category,
        tags=list(parent.tags),
        licence=licence,
        forked_from=source,
        lineage=[*parent.lineage, parent.pk],
    )
    _check_fields(title=fork.title, description=fork.description, category=fork.category, licence=licence)
    _save_with_unique_slug(fork)
    first = Revision.objects.create(
        blueprint=fork,
        number=1,
        author=user,
        based_on=source,
        change_notes=_("Forked from “%(title)s” revision %(number)s by %(author)s.")
        % {"title": parent.title, "number": source.number, "author": parent.owner.public_name},
    )
    copy_files(source=source, target=first)
    from blueprints.bom import revision_bom_copy  # blueprints.bom imports these services

    revision_bom_copy(source=source, target=first)
    Blueprint.objects.filter(pk=parent.pk).update(fork_count=F("fork_count") + 1)
    bump("blueprints")
    signals.announce_on_commit(
        signals.blueprint_forked,
        Blueprint,
        blueprint_id=fork.pk,
        owner_id=user.pk,
        parent_blueprint_id=parent.pk,
        parent_revision_id=source.pk,
    )
    return fork


@transaction.atomic
def blueprint_hide(*, blueprint: Blueprint, user: User) -> Blueprint:
    """Staff "delete": the blueprint leaves every list and page; its published data stays intact."""
    require_staff(user)
    blueprint = Blueprint.objects.select_for_update().get(pk=blueprint.pk)
    if blueprint.is_hidden:
        return blueprint
    blueprint.is_hidden = True
    blueprint.hidden_at = timezone.now()
    blueprint.hidden_by = user
    blueprint.save(update_fields=["is_hidden", "hidden_at", "hidden_by", "updated_at"])
    signals.announce_on_commit(signals.blueprint_hidden, Blueprint, blueprint_id=blueprint.pk, by_id=user.pk)
    return blueprint


@transaction.atomic
def blueprint_unhide(*, blueprint: Blueprint, user: User) -> Blueprint:
    require_staff(user)
    blueprint = Blueprint.objects.select_for_update().get(pk=blueprint.pk)
    if blueprint.is_hidden:
        blueprint.is_hidden = False
        blueprint.hidden_at = None
        blueprint.hidden_by = None
        blueprint.save(update_fields=["is_hidden", "hidden_at", "hidden_by", "updated_at"])
    return blueprint


@transaction.atomic
def blueprint_discard(*, blueprint: Blueprint, user: User) -> None:
    """The owner deletes a blueprint that was never published (nothing of it was ever shared)."""
    from blueprints.services.uploads import discard_upload_on_commit

    require_owner(blueprint, user)
    blueprint = Blueprint.objects.select_for_update().get(pk=blueprint.pk)
    if blueprint.revisions.filter(is_published=True).exists():
        raise Conflict(_("A published blueprint cannot be deleted; staff can hide it."))
    for file in File.objects.filter(revision__blueprint=blueprint).exclude(upload_key=""):
        discard_upload_on_commit(file)
    parent_id = blueprint.forked_from.blueprint_id if blueprint.forked_from else None
    blueprint.delete()
    if parent_id is not None:
        Blueprint.objects.filter(pk=parent_id, fork_count__gt=0).update(fork_count=F("fork_count") - 1)
        bump("blueprints")
