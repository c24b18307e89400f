"""Drafts become published revisions, which never change again."""

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from blueprints import signals
from blueprints.filetypes import FileKind
from blueprints.models import Blueprint, File, FileStatus, Revision
from blueprints.services.blueprints import copy_files
from blueprints.services.common import require_draft, require_owner, require_staff
from community.models import User
from core.exceptions import ApplicationError, Conflict


def _locked(revision: Revision) -> tuple[Blueprint, Revision]:
    """Lock the blueprint, then the revision: always in this order."""
    blueprint = Blueprint.objects.select_for_update().get(pk=revision.blueprint_id)
    locked = Revision.objects.select_for_update().get(pk=revision.pk)
    locked.blueprint = blueprint
    return blueprint, locked


@transaction.atomic
def revision_create(*, blueprint: Blueprint, user: User) -> Revision:
    """A new draft starting from the files of the latest published revision (same keys, no bytes copied)."""
    require_owner(blueprint, user)
    blueprint = Blueprint.objects.select_for_update().get(pk=blueprint.pk)
    draft = blueprint.revisions.filter(is_published=False).first()
    if draft is not None:
        raise Conflict(
            _("Revision %(number)s is still a draft: publish or delete it first.") % {"number": draft.number}
        )
    latest = blueprint.revisions.filter(is_published=True, is_hidden=False).order_by("-number").first()
    number = (blueprint.revisions.aggregate(highest=Max("number"))["highest"] or 0) + 1
    revision = Revision.objects.create(blueprint=blueprint, number=number, author=user, based_on=latest)
    if latest is not None:
        copy_files(source=latest, target=revision)
        from blueprints.bom import revision_bom_copy  # blueprints.bom imports these services

        revision_bom_copy(source=latest, target=revision)
    return revision


@transaction.atomic
def revision_update(*, revision: Revision, user: User, change_notes: str) -> Revision:
    require_owner(revision.blueprint, user)
    revision = _locked(revision)[1]
    require_draft(revision)
    if len(change_notes) > 5000:
        raise ApplicationError(
            _("Please correct the marked fields."), {"fields": {"change_notes": [_("At most 5,000 characters.")]}}
        )
    revision.change_notes = change_notes
    revision.save(update_fields=["change_notes", "updated_at"])
    return revision


def _same_files(first: Revision, second: Revision) -> bool:
    def contents(revision: Revision) -> set[tuple[str, str]]:
        return set(revision.files.filter(status=FileStatus.READY).values_list("original_name", "sha256"))

    return contents(first) == contents(second)


@transaction.atomic
def revision_publish(*, revision: Revision, user: User, change_notes: str | None = None) -> Revision:
    """Publish the draft: from now on neither it nor its files can change (the database holds to it)."""
    require_owner(revision.blueprint, user)
    blueprint, revision = _locked(revision)
    require_draft(revision)
    files = list(revision.files.all())
    pending = [file.original_name for file in files if file.status == FileStatus.PENDING]
    rejected = [file.original_name for file in files if file.status == FileStatus.REJECTED]
    if pending:
        raise Conflict(
            ngettext(
                "Wait until this file has been checked: %(names)s.",
                "Wait until these files have been checked: %(names)s.",
                len(pending),
            )
            % {"names": ", ".join(pending)},
            {"pending": pending},
        )
    if rejected:
        raise Conflict(
            ngettext(
                "Remove the rejected file first: %(names)s.",
                "Remove the rejected files first: %(names)s.",
                len(rejected),
            )
            % {"names": ", ".join(rejected)},
            {"rejected": rejected},
        )
    if not files:
        raise Conflict(_("Add at least one file before publishing."))
    based_on = revision.based_on
    if based_on is not None and based_on.blueprint_id == blueprint.pk and _same_files(revision, based_on):
        raise Conflict(
            _("These are the same files as revision %(number)s: change something first.") % {"number": based_on.number}
        )
    if change_notes is not None:
        revision.change_notes = change_notes[:5000]
    revision.is_published = True
    revision.published_at = timezone.now()
    revision.save(update_fields=["change_notes", "is_published", "published_at", "updated_at"])
    blueprint_refresh_listing(blueprint=blueprint)
    signals.announce_on_commit(
        signals.revision_published,
        Revision,
        blueprint_id=blueprint.pk,
        revision_id=revision.pk,
        number=revision.number,
        author_id=user.pk,
    )
    return revision


def blueprint_refresh_listing(*, blueprint: Blueprint) -> Blueprint:
    """Copy what list pages show from the latest visible published revision onto the blueprint."""
    latest = blueprint.revisions.filter(is_published=True, is_hidden=False).order_by("-number").first()
    files = list(latest.files.filter(status=FileStatus.READY).order_by("original_name")) if latest else []
    blueprint.latest_revision = latest
    blueprint.last_published_at = latest.published_at if latest else None
    blueprint.has_model = any(file.kind == FileKind.CAD_MODEL for file in files)
    covers = [file for file in files if file.preview_key and file.kind == FileKind.IMAGE] or [
        file for file in files if file.preview_key
    ]
    blueprint.cover_key = covers[0].preview_key if covers else ""
    blueprint.save(update_fields=["latest_revision", "last_published_at", "has_model", "cover_key", "updated_at"])
    return blueprint


@transaction.atomic
def revision_delete(*, revision: Revision, user: User) -> None:
    """The owner throws away a draft (pending uploads included) of a blueprint that has been published."""
    from blueprints.services.uploads import discard_upload_on_commit

    require_owner(revision.blueprint, user)
    blueprint, revision = _locked(revision)
    require_draft(revision)
    if not blueprint.revisions.filter(is_published=True).exists():
        raise Conflict(_("This is the blueprint's only revision: delete the blueprint instead."))
    for file in File.objects.filter(revision=revision).exclude(upload_key=""):
        discard_upload_on_commit(file)
    revision.delete()


@transaction.atomic
def revision_hide(*, revision: Revision, user: User) -> Revision:
    """Staff "delete" of a published revision: hidden from members, never destroyed."""
    require_staff(user)
    blueprint, revision = _locked(revision)
    if not revision.is_published:
        raise Conflict(_("Drafts are deleted by their owner, not hidden."))
    if not revision.is_hidden:
        revision.is_hidden = True
        revision.hidden_at = timezone.now()
        revision.hidden_by = user
        revision.save(update_fields=["is_hidden", "hidden_at", "hidden_by", "updated_at"])
        blueprint_refresh_listing(blueprint=blueprint)
        signals.announce_on_commit(
            signals.revision_hidden, Revision, revision_id=revision.pk, blueprint_id=blueprint.pk, by_id=user.pk
        )
    return revision
