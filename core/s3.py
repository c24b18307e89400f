"""boto3 clients for the configured S3 endpoint.

`internal_client()` is what the server uses to read and write objects; `public_client()` signs
URLs for browsers, which may reach the store under another address (docker-compose).
"""

from collections.abc import Callable
from functools import cache
from typing import Any

import boto3
from botocore.config import Config
from django.conf import settings


def _client(endpoint_url: str) -> Any:
    return boto3.client(
        "s3",
        endpoint_url=endpoint_url,
        aws_access_key_id=settings.S3_ACCESS_KEY_ID,
        aws_secret_access_key=settings.S3_SECRET_ACCESS_KEY,
        region_name=settings.S3_REGION,
        config=Config(
            signature_version="s3v4",
            s3={"addressing_style": "path"},
            connect_timeout=3,
            read_timeout=30,
            retries={"max_attempts": 2},
        ),
    )


@cache
def _cached(endpoint_url: str, access_key: str, region: str) -> Any:
    return _client(endpoint_url)


def internal_client() -> Any:
    return _cached(settings.S3_ENDPOINT_URL, settings.S3_ACCESS_KEY_ID, settings.S3_REGION)


def public_client() -> Any:
    return _cached(settings.S3_PUBLIC_ENDPOINT_URL, settings.S3_ACCESS_KEY_ID, settings.S3_REGION)


def bucket_ensure(*, bucket: str | None = None) -> bool:
    """Create the bucket if it is missing. Returns True when it was created."""
    from botocore.exceptions import ClientError

    bucket = bucket or settings.S3_BUCKET
    client = internal_client()
    try:
        client.head_bucket(Bucket=bucket)
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") not in {"404", "NoSuchBucket", "NotFound"}:
            raise
        try:
            client.create_bucket(Bucket=bucket)
        except ClientError as create_error:  # another process created it meanwhile
            already_there = {"BucketAlreadyOwnedByYou", "BucketAlreadyExists"}
            if create_error.response.get("Error", {}).get("Code") not in already_there:
                raise
            return False
        return True
    return False


# What apps need of the bucket besides its existence (upload CORS rules, say), registered by each app in
# its `ready()` so `manage.py ensure_buckets` runs them without knowing the apps: (what, step), where the
# step returns a sentence saying what it did.
BUCKET_SETUP: list[tuple[str, Callable[[], str]]] = []


def bucket_setup_register(what: str, step: Callable[[], str]) -> None:
    """Run `step` after the bucket exists, in `ensure_buckets` (once per `what`)."""
    if all(name != what for name, _step in BUCKET_SETUP):
        BUCKET_SETUP.append((what, step))
