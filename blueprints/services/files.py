"""A file's life after its upload: processing (ready or rejected), re-processing and downloads."""

import logging
from typing import Any

from botocore.exceptions import ClientError
from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from blueprints import signals, storage
from blueprints.lifecycle import FILE, Role
from blueprints.models import Blueprint, File, FileStatus, FileStatusChange, RejectionCode
from blueprints.names import content_disposition_attachment
from blueprints.processing.errors import Rejected
from blueprints.processing.inspect import Inspection, inspect_object
from blueprints.services.common import require_member, require_staff
from community.models import User
from core.actors import Actor
from core.caching import bump
from core.exceptions import ApplicationError, Conflict, NotAllowed
from core.statemachine import apply_move

logger = logging.getLogger(__name__)

FACT_FIELDS = ("image_width", "image_height", "triangle_count", "bbox_min", "bbox_max", "volume", "is_watertight")


# Who the processing is, in the records of the moves it makes.
PROCESSING = Actor.system("blueprints.process_file")


def file_roles(actor: Actor) -> set[Role]:
    """What `actor` may be in `FILE`: the system, or staff (a member who is staff)."""
    if actor.is_system:
        return {Role.SYSTEM}
    return {Role.STAFF} if getattr(actor.member, "is_staff", False) else set()


def file_move(*, file: File, to: str, actor: Actor, code: str = "", detail: str = "") -> File:
    """The one writer of a file's status, under the caller's lock on `file`: checks the move
    against `FILE` in `actor`'s roles, saves it with the rejection's code and detail, records it
    (`FileStatusChange`) and announces a decided file on commit."""
    FILE.check(file.status, to, file_roles(actor))
    if (to == FileStatus.REJECTED) != bool(code):
        raise ValueError("a rejection needs a code, and only a rejection has one")
    file.rejection_code = code
    file.rejection_detail = detail[:500]
    apply_move(
        file,
        target=to,
        actor=actor,
        record=FileStatusChange,
        update_fields=["rejection_code", "rejection_detail"],
        file=file,
        rejection_code=code,
    )
    if to in {FileStatus.READY, FileStatus.REJECTED}:
        blueprint_id = file.revision.blueprint_id
        signals.announce_on_commit(
            signals.file_processed,
            File,
            file_id=file.pk,
            revision_id=file.revision_id,
            blueprint_id=blueprint_id,
            status=to,
            rejection_code=code,
        )
    return file


def _inspect(file: File, source: str) -> Inspection:
    return inspect_object(
        key=source,
        file_type=file.type_info,
        declared_size=file.size,
        preview_max_bytes=settings.BLUEPRINT_PREVIEW_MAX_BYTES,
        image_max_pixels=settings.BLUEPRINT_IMAGE_MAX_PIXELS,
        preview_max_pixels=settings.BLUEPRINT_PREVIEW_MAX_PIXELS,
    )


def file_process(*, file_id: int, refresh: bool = False) -> File | None:
    """Check an uploaded file and mark it ready (bytes under their content address, previews made)
    or rejected with the reason. Idempotent: a file already decided is left alone, unless `refresh`
    asks to verify a ready file's bytes again and rebuild its previews and facts.

    The slow part (streaming the object, rendering) runs without any row lock; the verdict is then
    written under the file's lock only if nobody decided first.
    """
    file = File.objects.select_related("revision").filter(pk=file_id).first()
    if file is None:
        return None
    if file.status == FileStatus.READY and refresh:
        return _refresh_ready(file)
    if file.status != FileStatus.PENDING or file.upload_completed_at is None:
        return file
    try:
        inspection = _inspect(file, file.upload_key)
    except Rejected as rejection:
        return _reject(file_id, rejection.code, rejection.detail, discard_upload=True)
    except ClientError as error:
        if storage.is_missing(error):
            return _reject(file_id, RejectionCode.MISSING, "", discard_upload=False)
        raise
    blob = storage.blob_key(inspection.sha256)
    storage.object_copy_once(source=file.upload_key, target=blob)
    preview = _store_preview(inspection)
    with transaction.atomic():
        locked = File.objects.select_for_update(of=("self",)).select_related("revision").get(pk=file_id)
        if locked.status != FileStatus.PENDING:
            return locked
        locked.sha256 = inspection.sha256
        locked.storage_key = blob
        locked.preview_key = preview
        locked.no_preview_reason = inspection.no_preview_reason
        locked.processed_at = timezone.now()
        for name in FACT_FIELDS:
            setattr(locked, name, inspection.facts.get(name))
        locked.save(
            update_fields=["sha256", "storage_key", "preview_key", "no_preview_reason", "processed_at", *FACT_FIELDS]
        )
        file_move(file=locked, to=FileStatus.READY, actor=PROCESSING)
        _discard_staging_on_commit(locked.upload_key)
    return locked


def _store_preview(inspection: Inspection) -> str:
    if not inspection.preview:
        return ""
    key = storage.preview_key(inspection.sha256, inspection.preview_extension)
    storage.object_put_once(key=key, data=inspection.preview, content_type=inspection.preview_content_type)
    return key


def _discard_staging_on_commit(key: str) -> None:
    def discard() -> None:
        try:
            storage.object_delete(key)
        except ClientError:
            logger.warning("Could not delete staging object %s; the sweeper will", key, exc_info=True)

    transaction.on_commit(discard)


def _reject(file_id: int, code: str, detail: str, *, discard_upload: bool) -> File | None:
    with transaction.atomic():
        locked = File.objects.select_for_update(of=("self",)).select_related("revision").filter(pk=file_id).first()
        if locked is None or locked.status != FileStatus.PENDING:
            return locked
        locked.processed_at = timezone.now()
        locked.save(update_fields=["processed_at"])
        file_move(file=locked, to=FileStatus.REJECTED, actor=PROCESSING, code=code, detail=detail)
        if discard_upload:
            # Refused bytes are not kept.
            _discard_staging_on_commit(locked.upload_key)
    return locked


def _refresh_ready(file: File) -> File:
    try:
        inspection = _inspect(file, file.storage_key)
    except (Rejected, ClientError) as error:
        logger.error("Stored file %s (%s) no longer passes its checks: %s", file.pk, file.storage_key, error)
        raise Conflict(_("The stored bytes of this file no longer pass their checks.")) from error
    if inspection.sha256 != file.sha256:
        logger.error("Stored file %s (%s) has changed: %s", file.pk, file.storage_key, inspection.sha256)
        raise Conflict(_("The stored bytes of this file no longer match their checksum."))
    preview = _store_preview(inspection)
    with transaction.atomic():
        locked = File.objects.select_for_update().get(pk=file.pk)
        locked.preview_key = preview
        locked.no_preview_reason = inspection.no_preview_reason
        for name in FACT_FIELDS:
            setattr(locked, name, inspection.facts.get(name))
        locked.save(update_fields=["preview_key", "no_preview_reason", *FACT_FIELDS, "updated_at"])
    return locked


def file_processing_failed(*, file_id: int, error: str) -> File | None:
    """The processing gave up (retries spent): the uploader sees why; the upload is kept for staff."""
    logger.error("Processing of file %s failed for good: %s", file_id, error)
    return _reject(file_id, RejectionCode.PROCESSING_FAILED, "", discard_upload=False)


def file_reprocess(*, file: File, actor: Actor) -> File:
    """Staff re-run the processing: a failed one again, or a ready file's checks and previews."""
    from blueprints.services.uploads import enqueue_processing_on_commit

    if Role.STAFF not in file_roles(actor):
        require_staff(actor.member)
    with transaction.atomic():
        locked = File.objects.select_for_update(of=("self",)).select_related("revision").get(pk=file.pk)
        if locked.status == FileStatus.READY:
            transaction.on_commit(lambda: _enqueue_refresh(locked.pk))
            return locked
        if locked.status == FileStatus.PENDING:
            if locked.upload_completed_at is None:
                raise Conflict(_("This file has not been uploaded completely yet."))
            enqueue_processing_on_commit(locked.pk)
            return locked
        if locked.rejection_code != RejectionCode.PROCESSING_FAILED or not locked.upload_key:
            raise Conflict(_("This file was refused for its content; its bytes are gone."))
        if locked.revision.is_published:
            raise Conflict(_("Its revision is published and cannot change."))
        if (
            locked.revision.files.filter(original_name=locked.original_name)
            .exclude(pk=locked.pk)
            .exclude(status=FileStatus.REJECTED)
            .exists()
        ):
            raise Conflict(_("The revision has another file of this name now."))
        if storage.object_size(locked.upload_key) is None:
            raise Conflict(_("The uploaded bytes are gone."))
        file_move(file=locked, to=FileStatus.PENDING, actor=actor)
        enqueue_processing_on_commit(locked.pk)
    return locked


def _enqueue_refresh(file_id: int) -> None:
    from blueprints.tasks import refresh_file

    refresh_file.delay(file_id)


def _visible_to(file: File, user: Any) -> bool:
    revision = file.revision
    blueprint = revision.blueprint
    if user.is_staff or blueprint.owner_id == user.pk:
        return True
    return revision.is_published and not revision.is_hidden and not blueprint.is_hidden


def _signed_get(file: File, user: Any) -> str:
    require_member(user)
    if not _visible_to(file, user):
        raise NotAllowed(_("This file cannot be downloaded."))
    if file.status != FileStatus.READY:
        raise Conflict(_("This file cannot be downloaded."))
    # Always an attachment with our own type: nothing a member uploaded is ever shown inline.
    return storage.download_url(
        key=file.storage_key,
        content_disposition=content_disposition_attachment(file.original_name),
        content_type=file.content_type,
    )


@transaction.atomic
def file_download(*, file: File, user: User) -> str:
    """A short-lived presigned GET for a signed-in member; the download is counted."""
    url = _signed_get(file, user)
    blueprint_id = file.revision.blueprint_id
    Blueprint.objects.filter(pk=blueprint_id).update(download_count=F("download_count") + 1)
    bump("blueprints")
    signals.announce_on_commit(
        signals.file_downloaded, File, file_id=file.pk, blueprint_id=blueprint_id, user_id=user.pk
    )
    return url


def file_view_url(*, file: File, user: User) -> str:
    """The bytes for the 3D viewer (a fetch ignores the attachment disposition); not counted."""
    if not file.type_info.viewable:
        raise ApplicationError(_("This file type cannot be shown in 3D."))
    return _signed_get(file, user)
