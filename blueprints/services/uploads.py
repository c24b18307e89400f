"""The upload protocol: the browser asks for a slot, sends the bytes straight to S3, says "complete".

The web process only signs URLs and checks what S3 holds (HEAD, list parts); it never reads or
writes a file's bytes. Slots never completed are swept with their S3 objects and multipart uploads.
"""

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError
from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext as _

from blueprints import storage
from blueprints.filetypes import allowed_extensions, file_type_for
from blueprints.models import File, FileStatus, RejectionCode, Revision
from blueprints.names import clean_file_name
from blueprints.services.common import require_draft, require_owner
from blueprints.services.files import file_move
from community.models import User
from core.actors import Actor
from core.exceptions import ApplicationError, Conflict

logger = logging.getLogger(__name__)

MAX_FILES_PER_REVISION = 200
# A completed upload still pending after this long lost its processing task: it is enqueued again.
REQUEUE_AFTER = timedelta(hours=1)


@dataclass(frozen=True)
class UploadTicket:
    """How the browser sends the bytes: one form POST, or numbered parts PUT to their own URLs."""

    method: str  # "post" or "multipart"
    url: str = ""
    fields: dict[str, str] = field(default_factory=dict)
    part_size: int = 0
    part_count: int = 0
    parts: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        if self.method == "post":
            return {"method": "post", "url": self.url, "fields": self.fields}
        return {"method": "multipart", "part_size": self.part_size, "part_count": self.part_count, "parts": self.parts}


def _refuse(message: str, field_name: str = "name") -> ApplicationError:
    return ApplicationError(message, {"fields": {field_name: [message]}})


def _check_request(*, name: str, size: int, content_type: str) -> tuple[str, Any]:
    cleaned = clean_file_name(name)
    if not cleaned:
        raise _refuse(_("This file name cannot be used."))
    file_type = file_type_for(name=cleaned, declared_mime_type=content_type or "")
    if file_type is None:
        raise _refuse(
            _("Files of this type are not allowed. Allowed: %(extensions)s.")
            % {"extensions": ", ".join(allowed_extensions())}
        )
    if size < 1:
        raise _refuse(_("The file is empty."), "size")
    if size > settings.BLUEPRINT_UPLOAD_MAX_BYTES:
        raise _refuse(
            _("The file is larger than the limit of %(limit)s.")
            % {"limit": filesizeformat(settings.BLUEPRINT_UPLOAD_MAX_BYTES)},
            "size",
        )
    return cleaned, file_type


def _unfinished(revision: Revision, name: str) -> Any:
    """Slots of this name whose bytes were never completely sent: a new upload replaces them."""
    return revision.files.filter(original_name=name, status=FileStatus.PENDING, upload_completed_at__isnull=True)


def _check_slot(revision: Revision, name: str) -> None:
    require_draft(revision)
    live = revision.files.exclude(status=FileStatus.REJECTED).exclude(pk__in=_unfinished(revision, name))
    if live.filter(original_name=name).exists():
        raise _refuse(_("This revision already has a file called %(name)s: remove it first.") % {"name": name})
    if live.count() >= MAX_FILES_PER_REVISION:
        raise _refuse(_("A revision holds at most %(count)s files.") % {"count": MAX_FILES_PER_REVISION})


def upload_start(
    *, revision: Revision, user: User, name: str, size: int, content_type: str
) -> tuple[File, UploadTicket]:
    """A pending file in the draft and the presigned request(s) that put its bytes into S3."""
    require_owner(revision.blueprint, user)
    cleaned, file_type = _check_request(name=name, size=size, content_type=content_type)
    _check_slot(revision, cleaned)
    key = storage.new_upload_key()
    multipart = size > settings.BLUEPRINT_MULTIPART_THRESHOLD
    # Made before the transaction: no call to S3 while a row is locked. If the insert below fails,
    # the sweeper aborts this orphan.
    upload_id = storage.multipart_create(key=key, content_type=file_type.mime_type) if multipart else ""
    part_size = storage.part_size_for(size) if multipart else None
    with transaction.atomic():
        locked = Revision.objects.select_for_update(of=("self",)).select_related("blueprint").get(pk=revision.pk)
        _check_slot(locked, cleaned)
        for replaced in _unfinished(locked, cleaned).select_for_update():
            discard_upload_on_commit(replaced)
            replaced.delete()
        file = File.objects.create(
            revision=locked,
            original_name=cleaned,
            file_type=file_type.code,
            kind=file_type.kind,
            content_type=file_type.mime_type,
            size=size,
            upload_key=key,
            multipart_upload_id=upload_id,
            part_size=part_size,
        )
    return file, upload_ticket(file=file)


def upload_ticket(*, file: File, skip_parts: set[int] | None = None) -> UploadTicket:
    if not file.multipart_upload_id:
        post = storage.presigned_post(key=file.upload_key, size=file.size, content_type=file.content_type)
        return UploadTicket(method="post", url=post["url"], fields=post["fields"])
    part_size = int(file.part_size or storage.part_size_for(file.size))
    count = storage.part_count_for(file.size, part_size)
    parts = [
        {
            "number": number,
            "size": (length := storage.expected_part_size(number=number, size=file.size, part_size=part_size)),
            "url": storage.part_url(
                key=file.upload_key, upload_id=file.multipart_upload_id, number=number, length=length
            ),
        }
        for number in range(1, count + 1)
        if number not in (skip_parts or set())
    ]
    return UploadTicket(method="multipart", part_size=part_size, part_count=count, parts=parts)


def _require_open_upload(file: File, user: User) -> None:
    require_owner(file.revision.blueprint, user)
    if file.status != FileStatus.PENDING or file.upload_completed_at is not None:
        raise Conflict(_("This upload is finished: nothing more can be sent for it."))


def _good_parts(file: File) -> tuple[list[storage.UploadedPart], list[int], list[int]]:
    """The parts S3 holds that have the expected size, the missing part numbers and the wrong-sized ones."""
    part_size = int(file.part_size or 0)
    count = storage.part_count_for(file.size, part_size)
    held = {
        part.number: part for part in storage.multipart_parts(key=file.upload_key, upload_id=file.multipart_upload_id)
    }
    good: list[storage.UploadedPart] = []
    missing: list[int] = []
    wrong: list[int] = []
    for number in range(1, count + 1):
        part = held.get(number)
        if part is None:
            missing.append(number)
        elif part.size != storage.expected_part_size(number=number, size=file.size, part_size=part_size):
            wrong.append(number)
        else:
            good.append(part)
    return good, missing, wrong


def upload_status(*, file: File, user: User) -> dict[str, Any]:
    """For resuming: the parts S3 already holds and fresh URLs for the others."""
    _require_open_upload(file, user)
    if not file.multipart_upload_id:
        return {"uploaded": [], **upload_ticket(file=file).as_dict()}
    try:
        good, _missing, _wrong = _good_parts(file)
    except ClientError as error:
        if storage.is_missing(error):
            raise Conflict(_("This upload has expired; start it again.")) from error
        raise
    ticket = upload_ticket(file=file, skip_parts={part.number for part in good})
    return {"uploaded": [{"number": part.number, "size": part.size} for part in good], **ticket.as_dict()}


def upload_complete(*, file: File, user: User, enqueue: bool = True) -> File:
    """The browser says the bytes are in S3. Check that they are (all parts, the declared size) and
    queue the processing (unless the caller runs `file_process` itself, as the demo data does).
    Until the bytes are there, nothing changes and the browser may try again."""
    require_owner(file.revision.blueprint, user)
    if file.upload_completed_at is not None or file.status != FileStatus.PENDING:
        return file  # said twice: already done
    if file.multipart_upload_id:
        _complete_multipart(file)
    size = storage.object_size(file.upload_key)
    if size is None:
        raise Conflict(_("The file has not been uploaded yet."), {"status": "not_uploaded"})
    if size != file.size:
        # A store that ignored the size in the policy: never keep bytes of the wrong size.
        with transaction.atomic():
            locked = File.objects.select_for_update().get(pk=file.pk)
            if locked.status == FileStatus.PENDING:
                file_move(
                    file=locked,
                    to=FileStatus.REJECTED,
                    actor=Actor.system("blueprints.upload_complete"),
                    code=RejectionCode.SIZE_MISMATCH,
                    detail=f"{size} ≠ {file.size}",
                )
                discard_upload_on_commit(locked)
        raise Conflict(
            _("The uploaded file has %(size)s bytes, not the %(declared)s declared.")
            % {"size": size, "declared": file.size}
        )
    with transaction.atomic():
        locked = File.objects.select_for_update().get(pk=file.pk)
        if locked.status != FileStatus.PENDING or locked.upload_completed_at is not None:
            return locked
        locked.upload_completed_at = timezone.now()
        locked.save(update_fields=["upload_completed_at", "updated_at"])
        if enqueue:
            enqueue_processing_on_commit(locked.pk)
    return locked


def _complete_multipart(file: File) -> None:
    try:
        good, missing, wrong = _good_parts(file)
    except ClientError as error:
        if not storage.is_missing(error):
            raise
        return  # no such upload any more: completed by an earlier call (the HEAD below tells)
    if missing or wrong:
        messages = []
        if missing:
            messages.append(_("Parts not uploaded yet: %(parts)s.") % {"parts": _numbers(missing)})
        if wrong:
            messages.append(_("Parts of the wrong size (send them again): %(parts)s.") % {"parts": _numbers(wrong)})
        raise Conflict(" ".join(messages), {"missing_parts": missing, "wrong_parts": wrong})
    try:
        storage.multipart_complete(key=file.upload_key, upload_id=file.multipart_upload_id, parts=good)
    except ClientError as error:
        if not storage.is_missing(error):
            raise


def _numbers(numbers: list[int]) -> str:
    shown = ", ".join(str(number) for number in numbers[:20])
    return f"{shown}, …" if len(numbers) > 20 else shown


def enqueue_processing_on_commit(file_id: int) -> None:
    from blueprints.tasks import process_file

    transaction.on_commit(lambda: process_file.delay(file_id))


def discard_upload_on_commit(file: File) -> None:
    """Once the transaction commits, delete the staging object and abort the multipart upload of `file`."""
    key, upload_id = file.upload_key, file.multipart_upload_id

    def discard() -> None:
        try:
            if upload_id:
                storage.multipart_abort(key=key, upload_id=upload_id)
            if key:
                storage.object_delete(key)
        except ClientError:
            logger.warning("Could not discard upload %s; the sweeper will", key, exc_info=True)

    if key:
        transaction.on_commit(discard)


@transaction.atomic
def file_remove(*, file: File, user: User) -> None:
    """The owner takes a file out of a draft. Its shared blob stays (other revisions may hold it)."""
    require_owner(file.revision.blueprint, user)
    revision = Revision.objects.select_for_update().get(pk=file.revision_id)
    require_draft(revision)
    locked = File.objects.select_for_update().filter(pk=file.pk).first()
    if locked is None:
        return
    discard_upload_on_commit(locked)
    locked.delete()


# --- The sweeper ------------------------------------------------------------------------------


@dataclass
class SweepReport:
    expired: int = 0
    requeued: int = 0
    aborted_multipart: int = 0
    deleted_objects: int = 0


# Staging keys still in use: uploads pending, or kept so staff can re-run a failed processing.
LIVE_UPLOAD = Q(status=FileStatus.PENDING) | Q(
    status=FileStatus.REJECTED, rejection_code=RejectionCode.PROCESSING_FAILED
)


def _live_upload_keys(keys: list[str]) -> set[str]:
    return set(File.objects.filter(LIVE_UPLOAD, upload_key__in=keys).values_list("upload_key", flat=True))


def upload_sweep_stale(*, now: datetime | None = None, batch: int = 500) -> SweepReport:
    """Expire uploads never completed in time (their objects and multipart uploads go too), re-queue
    completed uploads whose processing was lost, and remove staging objects nothing refers to."""
    now = now or timezone.now()
    cutoff = now - timedelta(hours=settings.BLUEPRINT_STALE_UPLOAD_HOURS)
    report = SweepReport()

    stale = list(
        File.objects.filter(status=FileStatus.PENDING, upload_completed_at__isnull=True, created_at__lt=cutoff)
        .order_by("pk")
        .values_list("pk", flat=True)[:batch]
    )
    for file_id in stale:
        with transaction.atomic():
            file = (
                File.objects.select_for_update(skip_locked=True)
                .filter(pk=file_id, status=FileStatus.PENDING, upload_completed_at__isnull=True)
                .first()
            )
            if file is None:
                continue
            file_move(
                file=file,
                to=FileStatus.REJECTED,
                actor=Actor.system("blueprints.sweep_stale_uploads"),
                code=RejectionCode.UPLOAD_EXPIRED,
            )
            discard_upload_on_commit(file)
            report.expired += 1

    lost = File.objects.filter(status=FileStatus.PENDING, upload_completed_at__lt=now - REQUEUE_AFTER).values_list(
        "pk", flat=True
    )[:batch]
    for file_id in lost:
        enqueue_processing_on_commit(file_id)  # outside a transaction: sent at once
        report.requeued += 1

    for upload in storage.multipart_uploads():
        if upload.initiated >= cutoff:
            continue
        if File.objects.filter(
            upload_key=upload.key, multipart_upload_id=upload.upload_id, status=FileStatus.PENDING
        ).exists():
            continue
        storage.multipart_abort(key=upload.key, upload_id=upload.upload_id)
        report.aborted_multipart += 1

    old: list[str] = []
    for stored in storage.objects(prefix=storage.UPLOAD_PREFIX):
        if stored.last_modified < cutoff:
            old.append(stored.key)
        if len(old) >= 1000:
            report.deleted_objects += _delete_unreferenced(old)
            old = []
    report.deleted_objects += _delete_unreferenced(old)
    return report


def _delete_unreferenced(keys: list[str]) -> int:
    if not keys:
        return 0
    live = _live_upload_keys(keys)
    deleted = 0
    for key in keys:
        if key not in live:
            storage.object_delete(key)
            deleted += 1
    return deleted
