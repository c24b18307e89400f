"""The S3 side of blueprint files: keys, presigned uploads and downloads, and object housekeeping.

URLs that browsers use are signed with `core.s3.public_client()`; everything the server itself does
goes through `core.s3.internal_client()`. Nothing here touches the database.
"""

import logging
import math
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from boto3.s3.transfer import TransferConfig
from botocore.exceptions import ClientError
from django.conf import settings

from core.s3 import internal_client, public_client

logger = logging.getLogger(__name__)

UPLOAD_PREFIX = "uploads/"
BLOB_PREFIX = "blobs/sha256/"
# Bump when previews are rendered differently: new keys, old ones stay valid for old pages.
PREVIEW_VERSION = "v1"
PREVIEW_PREFIX = f"previews/{PREVIEW_VERSION}/"
S3_MIN_PART_SIZE = 5 * 1024**2
S3_MAX_PARTS = 10_000
_MISSING_CODES = {"404", "NoSuchKey", "NotFound", "NoSuchUpload"}


def is_missing(error: ClientError) -> bool:
    return str(error.response.get("Error", {}).get("Code")) in _MISSING_CODES


def new_upload_key() -> str:
    """A fresh, unguessable staging key. The member's file name never becomes part of a key."""
    return f"{UPLOAD_PREFIX}{uuid.uuid4().hex}"


def blob_key(sha256: str) -> str:
    return f"{BLOB_PREFIX}{sha256}"


def preview_key(sha256: str, extension: str) -> str:
    return f"{PREVIEW_PREFIX}{sha256}.{extension}"


def part_size_for(size: int) -> int:
    """The configured part size, grown so that no upload needs more than S3's 10,000 parts."""
    configured = max(settings.BLUEPRINT_MULTIPART_PART_SIZE, S3_MIN_PART_SIZE)
    needed = math.ceil(size / S3_MAX_PARTS)
    return max(configured, math.ceil(needed / (1024 * 1024)) * 1024 * 1024)


def part_count_for(size: int, part_size: int) -> int:
    return max(1, math.ceil(size / part_size))


def expected_part_size(*, number: int, size: int, part_size: int) -> int:
    count = part_count_for(size, part_size)
    return part_size if number < count else size - part_size * (count - 1)


# --- Uploads ----------------------------------------------------------------------------------


def presigned_post(*, key: str, size: int, content_type: str) -> dict[str, Any]:
    """A browser form POST that S3 accepts only for exactly `size` bytes, this key and this type."""
    post: dict[str, Any] = public_client().generate_presigned_post(
        Bucket=settings.S3_BUCKET,
        Key=key,
        Fields={"Content-Type": content_type},
        Conditions=[
            ["content-length-range", size, size],
            {"Content-Type": content_type},
        ],
        ExpiresIn=settings.BLUEPRINT_UPLOAD_URL_EXPIRES,
    )
    return {"url": post["url"], "fields": post["fields"]}


def multipart_create(*, key: str, content_type: str) -> str:
    response = internal_client().create_multipart_upload(Bucket=settings.S3_BUCKET, Key=key, ContentType=content_type)
    return str(response["UploadId"])


def part_url(*, key: str, upload_id: str, number: int, length: int) -> str:
    # The length is signed too: a part of another size is refused by stores that check it.
    url: str = public_client().generate_presigned_url(
        "upload_part",
        Params={
            "Bucket": settings.S3_BUCKET,
            "Key": key,
            "UploadId": upload_id,
            "PartNumber": number,
            "ContentLength": length,
        },
        ExpiresIn=settings.BLUEPRINT_UPLOAD_URL_EXPIRES,
    )
    return url


@dataclass(frozen=True)
class UploadedPart:
    number: int
    size: int
    etag: str


def multipart_parts(*, key: str, upload_id: str) -> list[UploadedPart]:
    """The parts S3 holds for an upload (all pages of the listing)."""
    client = internal_client()
    parts: list[UploadedPart] = []
    marker = 0
    while True:
        response = client.list_parts(
            Bucket=settings.S3_BUCKET, Key=key, UploadId=upload_id, PartNumberMarker=marker, MaxParts=1000
        )
        parts.extend(
            UploadedPart(int(part["PartNumber"]), int(part["Size"]), str(part["ETag"]))
            for part in response.get("Parts", [])
        )
        if not response.get("IsTruncated"):
            return parts
        marker = int(response["NextPartNumberMarker"])


def multipart_complete(*, key: str, upload_id: str, parts: list[UploadedPart]) -> None:
    internal_client().complete_multipart_upload(
        Bucket=settings.S3_BUCKET,
        Key=key,
        UploadId=upload_id,
        MultipartUpload={"Parts": [{"PartNumber": part.number, "ETag": part.etag} for part in parts]},
    )


def multipart_abort(*, key: str, upload_id: str) -> None:
    try:
        internal_client().abort_multipart_upload(Bucket=settings.S3_BUCKET, Key=key, UploadId=upload_id)
    except ClientError as error:
        if not is_missing(error):
            raise


@dataclass(frozen=True)
class PendingMultipart:
    key: str
    upload_id: str
    initiated: datetime


def multipart_uploads(*, prefix: str = UPLOAD_PREFIX) -> Iterator[PendingMultipart]:
    client = internal_client()
    kwargs: dict[str, Any] = {"Bucket": settings.S3_BUCKET, "Prefix": prefix}
    while True:
        response = client.list_multipart_uploads(**kwargs)
        for upload in response.get("Uploads", []) or []:
            yield PendingMultipart(str(upload["Key"]), str(upload["UploadId"]), upload["Initiated"])
        if not response.get("IsTruncated"):
            return
        kwargs["KeyMarker"] = response["NextKeyMarker"]
        kwargs["UploadIdMarker"] = response["NextUploadIdMarker"]


# --- Objects ----------------------------------------------------------------------------------


def object_size(key: str) -> int | None:
    """The size of the object at `key`, or None when there is none."""
    try:
        response = internal_client().head_object(Bucket=settings.S3_BUCKET, Key=key)
    except ClientError as error:
        if is_missing(error):
            return None
        raise
    return int(response["ContentLength"])


def object_chunks(key: str, *, chunk_size: int = 1024 * 1024) -> Iterator[bytes]:
    """The object's bytes, streamed: never more than one chunk in memory."""
    body = internal_client().get_object(Bucket=settings.S3_BUCKET, Key=key)["Body"]
    try:
        yield from body.iter_chunks(chunk_size)
    finally:
        body.close()


def object_range(key: str, start: int, end: int) -> bytes:
    """Bytes `start..end` (inclusive) of the object."""
    response = internal_client().get_object(Bucket=settings.S3_BUCKET, Key=key, Range=f"bytes={start}-{end}")
    data: bytes = response["Body"].read()
    return data


def object_copy_once(*, source: str, target: str) -> bool:
    """Copy `source` to `target` inside the bucket unless `target` exists. True when it copied.

    Server-side (multipart copy above 1 GiB), so no bytes pass through this process. Targets are
    content-addressed: an existing one already holds these bytes and is never overwritten.
    """
    if object_size(target) is not None:
        return False
    internal_client().copy(
        {"Bucket": settings.S3_BUCKET, "Key": source},
        settings.S3_BUCKET,
        target,
        Config=TransferConfig(multipart_threshold=1024**3, multipart_chunksize=256 * 1024**2),
    )
    return True


def object_put_once(*, key: str, data: bytes, content_type: str) -> bool:
    if object_size(key) is not None:
        return False
    internal_client().put_object(Bucket=settings.S3_BUCKET, Key=key, Body=data, ContentType=content_type)
    return True


def object_delete(key: str) -> None:
    internal_client().delete_object(Bucket=settings.S3_BUCKET, Key=key)


@dataclass(frozen=True)
class StoredObject:
    key: str
    size: int
    last_modified: datetime


def objects(*, prefix: str) -> Iterator[StoredObject]:
    paginator = internal_client().get_paginator("list_objects_v2")
    for page in paginator.paginate(Bucket=settings.S3_BUCKET, Prefix=prefix):
        for item in page.get("Contents", []) or []:
            yield StoredObject(str(item["Key"]), int(item["Size"]), item["LastModified"])


# --- Downloads --------------------------------------------------------------------------------


def download_url(*, key: str, content_disposition: str, content_type: str) -> str:
    """A short-lived GET URL whose response S3 labels with our disposition and type."""
    url: str = public_client().generate_presigned_url(
        "get_object",
        Params={
            "Bucket": settings.S3_BUCKET,
            "Key": key,
            "ResponseContentDisposition": content_disposition,
            "ResponseContentType": content_type,
        },
        ExpiresIn=settings.BLUEPRINT_DOWNLOAD_URL_EXPIRES,
    )
    return url


def preview_url(key: str) -> str:
    """The URL of a preview PNG/JPEG we rendered ourselves (safe to show inline)."""
    if not key:
        return ""
    url: str = public_client().generate_presigned_url(
        "get_object", Params={"Bucket": settings.S3_BUCKET, "Key": key}, ExpiresIn=3600
    )
    return url


# --- Bucket setup -----------------------------------------------------------------------------


def upload_cors_ensure(*, origins: list[str] | None = None) -> bool:
    """Let browsers on our origins upload to and read from the bucket (presigned requests only).

    Browsers upload straight to S3 from the site's origin, so the bucket must answer CORS
    preflights for POST (form uploads) and PUT (parts), expose the ETag, and allow GET for the 3D
    viewer. Returns False when the store does not support bucket CORS (MinIO allows every origin
    by default; SeaweedFS answers preflights on its own).
    """
    allowed = sorted({origin.rstrip("/") for origin in (origins or settings.BLUEPRINT_UPLOAD_CORS_ORIGINS) if origin})
    rules = {
        "CORSRules": [
            {
                "AllowedOrigins": allowed or ["*"],
                "AllowedMethods": ["GET", "HEAD", "POST", "PUT"],
                "AllowedHeaders": ["*"],
                "ExposeHeaders": ["ETag"],
                "MaxAgeSeconds": 3600,
            }
        ]
    }
    try:
        internal_client().put_bucket_cors(Bucket=settings.S3_BUCKET, CORSConfiguration=rules)
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") in {"NotImplemented", "NotImplementedError"}:
            logger.info("The S3 store does not support bucket CORS; relying on its defaults.")
            return False
        raise
    return True
