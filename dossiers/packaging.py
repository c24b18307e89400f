"""The package of a dossier version: one reproducible zip of every file, NOTICE.md, BOM.csv and manifest.json.

A member who may see the dossier asks for it (`package_request`); a Celery worker builds it
(`package_build`, run by the task `dossiers.build_package`) from S3 to S3: each source file is
streamed from `get_object` in 1 MiB chunks into a `zipfile.ZipFile` writing to a
`MultipartUploadWriter`, which keeps one 8 MiB part in memory and uploads it when full. No file
byte passes through the web process, and the worker's memory does not grow with the package.

Reproducible: the same version always gives the same bytes. Entries come in a fixed order (the
documents, then the files in dossier order: phases in graph order, parts by rank, files by name),
every entry is stored uncompressed (ZIP_STORED: no compressor version can change the bytes), with
the version's creation time as its timestamp, mode 0644 and Unix as the creating system. The
finished zip lands at `dossiers/packages/<challenge id>/v<n>-<sha256>.zip` and is downloaded
through a presigned URL.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import stat
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, BinaryIO, Protocol

from django.conf import settings
from django.db import transaction
from django.http import Http404, HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from blueprints import storage
from blueprints.names import clean_file_name, content_disposition_attachment
from challenges.selectors import challenge_visible
from core.s3 import internal_client
from dossiers.models import DossierPackage, DossierVersion, PackageStatus
from dossiers.selectors import DossierNotFound, dossier_view_for_version
from dossiers.snapshot import DossierPartView, DossierView, PartFile, PhaseSection

logger = logging.getLogger(__name__)

PACKAGE_PREFIX = "dossiers/packages/"
PART_SIZE = 8 * 1024**2
CHUNK_SIZE = 1024**2
# Progress is written to the database after each file and every 32 MiB within a file, never per chunk.
PROGRESS_EVERY = 32 * 1024**2
# A build that has shown no progress for this long lost its worker: the next request starts it again.
STALE_AFTER = timedelta(minutes=10)
ZIP_CONTENT_TYPE = "application/zip"
FILE_ATTRIBUTES = (stat.S_IFREG | 0o644) << 16
UNIX = 3
# What one entry adds besides its bytes (local header, zip64 extra, data descriptor, central record, name),
# generously: only used to pick a part size that keeps the upload under S3's 10,000 parts.
ENTRY_OVERHEAD = 512
ERROR_LENGTH = 500
# Statuses in which the package is waiting for or under a worker.
IN_PROGRESS = (PackageStatus.PENDING, PackageStatus.BUILDING)


class PackageError(Exception):
    """The build cannot succeed for a reason worth telling the reader (a source file that changed)."""


class ClaimLost(Exception):
    """Another attempt took the package over (this one was thought dead): stop without touching the row."""


# --- Streaming into a multipart upload ---------------------------------------------------------


class MultipartUploadWriter:
    """A write-only, non-seekable file that streams into one S3 multipart upload.

    At most one part (`part_size` bytes) is held in memory; a full part is uploaded at once. It
    counts and hashes everything written, so the caller knows the object's size and SHA-256
    without reading it back. `close()` uploads the last (possibly short) part; completing or
    aborting the upload is the caller's business.
    """

    def __init__(self, *, key: str, upload_id: str, part_size: int = PART_SIZE) -> None:
        if part_size < storage.S3_MIN_PART_SIZE:
            raise ValueError(f"S3 parts (but the last) are at least {storage.S3_MIN_PART_SIZE} bytes")
        self.key = key
        self.upload_id = upload_id
        self.part_size = part_size
        self.parts: list[storage.UploadedPart] = []
        self._buffer = bytearray()
        self._digest = hashlib.sha256()
        self._size = 0
        self._closed = False

    def write(self, data: bytes | bytearray | memoryview) -> int:
        if self._closed:
            raise ValueError("write to a closed upload")
        view = memoryview(data).cast("B")
        written = len(view)
        self._digest.update(view)
        self._size += written
        while view:
            room = self.part_size - len(self._buffer)
            self._buffer += view[:room]
            view = view[room:]
            if len(self._buffer) >= self.part_size:
                self._send_part()
        return written

    def tell(self) -> int:
        return self._size

    def flush(self) -> None:
        """Nothing to do: a part leaves when it is full, the last one on `close()`."""

    def close(self) -> None:
        if self._closed:
            return
        if self._buffer or not self.parts:
            self._send_part()
        self._closed = True

    @property
    def size(self) -> int:
        return self._size

    @property
    def sha256(self) -> str:
        return self._digest.hexdigest()

    def _send_part(self) -> None:
        number = len(self.parts) + 1
        body = bytes(self._buffer)
        self._buffer = bytearray()
        response = internal_client().upload_part(
            Bucket=settings.S3_BUCKET, Key=self.key, UploadId=self.upload_id, PartNumber=number, Body=body
        )
        self.parts.append(storage.UploadedPart(number, len(body), str(response["ETag"])))


def part_size_for(total: int) -> int:
    """8 MiB, or more (whole MiB) when a package so large would need more than S3's 10,000 parts."""
    needed = math.ceil(total / (storage.S3_MAX_PARTS - 1))
    return max(PART_SIZE, math.ceil(needed / 1024**2) * 1024**2)


# --- What goes into the zip ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PackageEntry:
    """A file of the dossier and where it goes in the zip (relative to the package's folder)."""

    path: str
    file: PartFile
    part: DossierPartView
    section: PhaseSection


def package_folder(dossier: DossierView) -> str:
    """The folder every entry sits in, so that unpacking makes one directory: `<slug>-v<n>`."""
    return f"{dossier.challenge_slug}-v{dossier.number}"


def package_file_name(*, slug: str, number: int) -> str:
    return f"{slug}-dossier-v{number}.zip"


def package_key(*, challenge_id: int, number: int, sha256: str) -> str:
    return f"{PACKAGE_PREFIX}{challenge_id}/v{number}-{sha256}.zip"


def _staging_key(*, challenge_id: int, number: int, attempt: int) -> str:
    return f"{PACKAGE_PREFIX}{challenge_id}/staging/v{number}-attempt{attempt}.zip"


def package_entries(dossier: DossierView) -> list[PackageEntry]:
    """Every file of the version, in package order, at `<position>-<phase kind>/<rank>-<blueprint>-r<n>/<name>`.

    Names are cleaned (no separators, no control characters); a name taken twice in one folder gets
    the file's id before its extension, so no entry hides another.
    """
    entries: list[PackageEntry] = []
    taken: set[str] = set()
    for section in dossier.phases:
        phase_folder = f"{section.position:02d}-{section.kind}"
        for part in section.parts:
            part_folder = f"{phase_folder}/{part.rank}-{part.blueprint_slug}-r{part.revision_number}"
            for file in sorted(part.files, key=lambda file: (file.name, file.file_id)):
                name = clean_file_name(file.name) or f"file-{file.file_id}"
                path = f"{part_folder}/{name}"
                if path in taken:
                    stem, dot, extension = name.rpartition(".")
                    path = f"{part_folder}/{stem}-{file.file_id}.{extension}" if dot else f"{path}-{file.file_id}"
                taken.add(path)
                entries.append(PackageEntry(path=path, file=file, part=part, section=section))
    return entries


def package_documents(dossier: DossierView) -> dict[str, bytes]:
    """NOTICE.md (helper C's attribution) and BOM.csv (helper B's bill of materials) of the version."""
    from dossiers.attribution import notice_markdown
    from dossiers.bom import bom_csv

    notice = notice_markdown(dossier, base_url=settings.SITE_URL.rstrip("/"))
    bom: str | bytes = bom_csv(dossier)
    return {
        "NOTICE.md": notice.encode(),
        "BOM.csv": bom if isinstance(bom, bytes) else bom.encode(),
    }


def _absolute(url: str) -> str:
    return f"{settings.SITE_URL.rstrip('/')}{url}" if url.startswith("/") else url


def package_manifest(dossier: DossierView, entries: Iterable[PackageEntry], documents: dict[str, bytes]) -> bytes:
    """manifest.json: the challenge, the version, and each entry's source revision, size and SHA-256.

    `made_at` is when the version was made, not when the zip was: the same version gives the same
    bytes. Paths are relative to the package's folder (where the manifest lies).
    """
    manifest = {
        "challenge": {
            "id": dossier.challenge_id,
            "slug": dossier.challenge_slug,
            "title": dossier.challenge_title,
            "url": _absolute(dossier.challenge_url),
        },
        "version": dossier.number,
        "complete": dossier.is_complete,
        "made_at": dossier.created_at.astimezone(UTC).isoformat(),
        "documents": [
            {"path": name, "size": len(data), "sha256": hashlib.sha256(data).hexdigest()}
            for name, data in sorted(documents.items())
        ],
        "files": [
            {
                "path": entry.path,
                "size": entry.file.size,
                "sha256": entry.file.sha256,
                "file_id": entry.file.file_id,
                "file_type": entry.file.file_type,
                "revision_id": entry.part.revision_id,
                "revision_number": entry.part.revision_number,
                "blueprint_slug": entry.part.blueprint_slug,
                "blueprint_url": _absolute(entry.part.blueprint_url),
                "entry_id": entry.part.entry_id,
                "rank": entry.part.rank,
                "phase": {
                    "id": entry.section.phase_id,
                    "kind": entry.section.kind,
                    "title": entry.section.title,
                    "position": entry.section.position,
                },
                "licence": entry.part.licence,
                "authors": [
                    {"name": author.name, "profile_url": _absolute(author.profile_url), "lead": author.is_lead}
                    for author in entry.part.authors
                ],
            }
            for entry in entries
        ],
    }
    return (json.dumps(manifest, sort_keys=True, indent=2, ensure_ascii=False) + "\n").encode()


def _zip_time(moment: datetime) -> tuple[int, int, int, int, int, int]:
    """The version's creation time in UTC, within what a zip can hold (1980 to 2107)."""
    moment = moment.astimezone(UTC)
    if moment.year < 1980:
        return (1980, 1, 1, 0, 0, 0)
    if moment.year > 2107:
        return (2107, 12, 31, 23, 59, 58)
    return (moment.year, moment.month, moment.day, moment.hour, moment.minute, moment.second)


def _zip_info(name: str, *, date_time: tuple[int, int, int, int, int, int], size: int) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=date_time)
    info.compress_type = zipfile.ZIP_STORED
    info.create_system = UNIX  # whatever the worker's platform: the same bytes everywhere
    info.external_attr = FILE_ATTRIBUTES
    # Known before writing, so zipfile decides zip64 (files of 2 GiB and more) before the header is written.
    info.file_size = size
    return info


class Progress(Protocol):
    def advance(self, size: int) -> None: ...

    def file_done(self) -> None: ...


def zip_write(
    dossier: DossierView,
    target: BinaryIO | MultipartUploadWriter,
    *,
    documents: dict[str, bytes],
    progress: Progress | None = None,
) -> list[PackageEntry]:
    """Stream the package of `dossier` into `target` (written once, front to back; never sought).

    Each file is read from S3 in 1 MiB chunks; its SHA-256 and size are computed on the way and
    must match the file's record, else `PackageError`. Returns the entries written.
    """
    folder = package_folder(dossier)
    entries = package_entries(dossier)
    date_time = _zip_time(dossier.created_at)
    head = {"manifest.json": package_manifest(dossier, entries, documents), **dict(sorted(documents.items()))}
    archive = zipfile.ZipFile(target, "w", compression=zipfile.ZIP_STORED, allowZip64=True)
    for name, data in head.items():
        with archive.open(_zip_info(f"{folder}/{name}", date_time=date_time, size=len(data)), "w") as entry_file:
            entry_file.write(data)
    for entry in entries:
        info = _zip_info(f"{folder}/{entry.path}", date_time=date_time, size=entry.file.size)
        digest = hashlib.sha256()
        size = 0
        with archive.open(info, "w", force_zip64=entry.file.size >= zipfile.ZIP64_LIMIT) as entry_file:
            for chunk in storage.object_chunks(entry.file.storage_key, chunk_size=CHUNK_SIZE):
                digest.update(chunk)
                size += len(chunk)
                entry_file.write(chunk)
                if progress is not None:
                    progress.advance(len(chunk))
        if size != entry.file.size or digest.hexdigest() != entry.file.sha256:
            # Recorded on the row as it is (English, like every recorded error).
            raise PackageError(
                f"{entry.path} (file {entry.file.file_id}) is not the file that was published: {size} bytes "
                f"with SHA-256 {digest.hexdigest()}, expected {entry.file.size} bytes with {entry.file.sha256}"
            )
        if progress is not None:
            progress.file_done()
    # Only on success: a failed build leaves the central directory unwritten (and the upload is aborted).
    archive.close()
    return entries


# --- The build, run by a worker -----------------------------------------------------------------


class _RowProgress:
    """Counts what the build has copied and writes it to the package row now and then (the claim is checked)."""

    def __init__(self, package_id: int, attempt: int) -> None:
        self.package_id = package_id
        self.attempt = attempt
        self.files_done = 0
        self.bytes_done = 0
        self._saved_bytes = 0

    def advance(self, size: int) -> None:
        self.bytes_done += size
        if self.bytes_done - self._saved_bytes >= PROGRESS_EVERY:
            self.save()

    def file_done(self) -> None:
        self.files_done += 1
        self.save()

    def save(self, **fields: Any) -> None:
        self._saved_bytes = self.bytes_done
        _claimed_update(
            self.package_id,
            self.attempt,
            files_done=self.files_done,
            bytes_done=self.bytes_done,
            **fields,
        )


def _claimed_update(package_id: int, attempt: int, **fields: Any) -> None:
    """Update the row only while this attempt holds the build; `ClaimLost` otherwise."""
    changed = DossierPackage.objects.filter(pk=package_id, status=PackageStatus.BUILDING, attempts=attempt).update(
        updated_at=timezone.now(), **fields
    )
    if not changed:
        raise ClaimLost(f"package {package_id}: attempt {attempt} no longer holds the build")


def _claim(package_id: int) -> DossierPackage | None:
    """pending -> building in one conditional UPDATE: of two workers given one package, one builds it."""
    now = timezone.now()
    claimed = DossierPackage.objects.filter(pk=package_id, status=PackageStatus.PENDING).update(
        status=PackageStatus.BUILDING,
        started_at=now,
        updated_at=now,
        finished_at=None,
        files_done=0,
        bytes_done=0,
        error="",
    )
    return DossierPackage.objects.filter(pk=package_id).first() if claimed else None


def _discard_upload(key: str, upload_id: str) -> None:
    """Abort a multipart upload and delete its staging object, whatever is left of them (best effort)."""
    if not key:
        return
    try:
        if upload_id:
            storage.multipart_abort(key=key, upload_id=upload_id)
        storage.object_delete(key)
    except Exception:  # the build's own error matters more; the staging prefix is only ever overwritten
        logger.warning("Could not discard the staging upload %s", key, exc_info=True)


def package_build(*, package_id: int) -> DossierPackage | None:
    """Build the package if it is waiting for a worker; leave it alone otherwise. Returns the row (None if gone).

    Any error aborts the upload and marks the package failed with the reason (a retry builds from
    scratch); an attempt overtaken by a newer one (its worker was thought dead) stops quietly.
    """
    package = _claim(package_id)
    if package is None:
        return DossierPackage.objects.filter(pk=package_id).first()
    attempt = package.attempts
    # A worker killed mid-build left its upload behind: the new attempt clears it first.
    _discard_upload(package.upload_key, package.upload_id)
    key = upload_id = ""
    try:
        dossier = dossier_view_for_version(package.version_id)
        documents = package_documents(dossier)
        entries = package_entries(dossier)
        bytes_total = sum(entry.file.size for entry in entries)
        overhead = sum(len(data) for data in documents.values()) + ENTRY_OVERHEAD * (len(entries) + 4) + 10 * 1024**2
        key = _staging_key(challenge_id=dossier.challenge_id, number=dossier.number, attempt=attempt)
        upload_id = storage.multipart_create(key=key, content_type=ZIP_CONTENT_TYPE)
        progress = _RowProgress(package_id, attempt)
        progress.save(upload_key=key, upload_id=upload_id, files_total=len(entries), bytes_total=bytes_total)
        writer = MultipartUploadWriter(key=key, upload_id=upload_id, part_size=part_size_for(bytes_total + overhead))
        zip_write(dossier, writer, documents=documents, progress=progress)
        writer.close()
        storage.multipart_complete(key=key, upload_id=upload_id, parts=writer.parts)
        final_key = package_key(challenge_id=dossier.challenge_id, number=dossier.number, sha256=writer.sha256)
        # Server-side; an identical earlier build (same key: same bytes) is kept as it is.
        storage.object_copy_once(source=key, target=final_key)
        storage.object_delete(key)
        progress.save(
            status=PackageStatus.READY,
            storage_key=final_key,
            size=writer.size,
            sha256=writer.sha256,
            finished_at=timezone.now(),
            upload_key="",
            upload_id="",
        )
    except ClaimLost:
        logger.warning("Package %s: attempt %s was overtaken; its upload is discarded", package_id, attempt)
        _discard_upload(key, upload_id)
    except Exception as error:
        if not isinstance(error, PackageError):
            logger.exception("Package %s: attempt %s failed", package_id, attempt)
        _discard_upload(key, upload_id)
        message = str(error) if isinstance(error, PackageError) else f"{type(error).__name__}: {error}"
        DossierPackage.objects.filter(pk=package_id, status=PackageStatus.BUILDING, attempts=attempt).update(
            status=PackageStatus.FAILED,
            error=message[:ERROR_LENGTH],
            finished_at=timezone.now(),
            updated_at=timezone.now(),
            upload_key="",
            upload_id="",
        )
    return DossierPackage.objects.filter(pk=package_id).first()


# --- Asking for it, and reading it --------------------------------------------------------------


def _visible_version(*, user: Any, slug: str, number: int) -> DossierVersion:
    """Version `number` of the dossier of challenge `slug` if `user` may see it (as `dossier_view` decides)."""
    try:
        challenge = challenge_visible(user=user, slug=slug)
    except Http404 as error:
        raise DossierNotFound(_("No such challenge.")) from error
    version = (
        DossierVersion.objects.filter(dossier__challenge_id=challenge.pk, number=number)
        .select_related("dossier")
        .first()
    )
    if version is None:
        raise DossierNotFound(_("This dossier has no version %(number)s.") % {"number": number})
    return version


def is_stale(package: DossierPackage, *, now: datetime | None = None) -> bool:
    """Waiting or building with no progress for `STALE_AFTER`: its task or its worker was lost."""
    now = now or timezone.now()
    return package.status in IN_PROGRESS and package.updated_at < now - STALE_AFTER


def package_request(*, user: Any, slug: str, number: int) -> DossierPackage:
    """Ask for the package of version `number`; whoever may see the dossier may. Idempotent.

    One package per version. A ready one is returned as it is; a new one is queued; a failed one,
    or one stuck (`is_stale`), goes back to pending with one more attempt and is queued again.
    The task is sent after commit.
    """
    version = _visible_version(user=user, slug=slug, number=number)
    with transaction.atomic():
        package, created = DossierPackage.objects.select_for_update().get_or_create(version=version)
        if created:
            _enqueue(package.pk)
        elif package.status == PackageStatus.FAILED or is_stale(package):
            package.status = PackageStatus.PENDING
            package.attempts += 1
            package.error = ""
            package.files_done = package.bytes_done = 0
            package.started_at = package.finished_at = None
            package.save(
                update_fields=[
                    "status",
                    "attempts",
                    "error",
                    "files_done",
                    "bytes_done",
                    "started_at",
                    "finished_at",
                    "updated_at",
                ]
            )
            _enqueue(package.pk)
    return package


def _enqueue(package_id: int) -> None:
    from dossiers.tasks import build_package

    transaction.on_commit(lambda: build_package.delay(package_id))


def package_for_viewer(*, user: Any, slug: str, number: int) -> tuple[DossierVersion, DossierPackage | None]:
    """The version (404 unless `user` may see the dossier) and its package, if anyone asked for one."""
    version = _visible_version(user=user, slug=slug, number=number)
    return version, DossierPackage.objects.filter(version=version).first()


def package_download_url(*, package: DossierPackage, slug: str, number: int) -> str:
    """A short-lived S3 URL of the ready zip, as an attachment named `<slug>-dossier-v<n>.zip`."""
    if package.status != PackageStatus.READY:
        raise DossierNotFound(_("The package of this version is not ready."))
    return storage.download_url(
        key=package.storage_key,
        content_disposition=content_disposition_attachment(package_file_name(slug=slug, number=number)),
        content_type=ZIP_CONTENT_TYPE,
    )


def percent_done(package: DossierPackage | None) -> int:
    """How far the build is, 0-100, by bytes (by files when the dossier has no bytes)."""
    if package is None:
        return 0
    if package.status == PackageStatus.READY:
        return 100
    if package.bytes_total:
        return min(99, package.bytes_done * 100 // package.bytes_total)
    if package.files_total:
        return min(99, package.files_done * 100 // package.files_total)
    return 0


def package_state(package: DossierPackage | None, *, slug: str, number: int) -> dict[str, Any]:
    """The package as the status endpoint and the page show it (no query)."""
    kwargs = {"slug": slug, "number": number}
    state: dict[str, Any] = {
        "status": package.status if package else "none",
        "status_label": str(PackageStatus(package.status).label) if package else _("Not built yet"),
        "files_done": package.files_done if package else 0,
        "files_total": package.files_total if package else 0,
        "bytes_done": package.bytes_done if package else 0,
        "bytes_total": package.bytes_total if package else 0,
        "percent": percent_done(package),
        "size": package.size if package else None,
        "sha256": package.sha256 if package else "",
        "error": package.error if package else "",
        "request_url": reverse("dossiers:package", kwargs=kwargs),
        "status_url": reverse("dossiers:package_status", kwargs=kwargs),
        "download_url": None,
    }
    if package is not None and package.status == PackageStatus.READY:
        state["download_url"] = reverse("dossiers:package", kwargs=kwargs)
    return state


def page_context(request: HttpRequest, dossier: DossierView) -> dict[str, Any]:
    """The package box of the dossier page: one query (the package row)."""
    package = DossierPackage.objects.filter(version_id=dossier.version_id).first()
    state = package_state(package, slug=dossier.challenge_slug, number=dossier.number)
    state["file_name"] = package_file_name(slug=dossier.challenge_slug, number=dossier.number)
    state["in_progress"] = state["status"] in IN_PROGRESS
    state["can_request"] = state["status"] in {"none", PackageStatus.FAILED} or (
        package is not None and is_stale(package)
    )
    return {"package": state}
