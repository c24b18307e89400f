import hashlib
from collections.abc import Callable
from typing import Any

import pytest
import requests
from django.test import TestCase

from blueprints import services
from blueprints.models import Blueprint, File, FileStatus, Revision
from blueprints.tests import samples
from community.services import user_create
from tests.accounts import confirm_account
from tests.support import (
    PASSWORD,
    fast_password_hashing,  # noqa: F401  (autouse: this directory hashes fast)
)


def make_member(email: str, name: str, *, is_staff: bool = False) -> Any:
    user = user_create(email=email, password=PASSWORD, display_name=name, is_staff=is_staff)
    if is_staff:  # like the demo staff account: every admin permission
        user.is_superuser = True
        user.save(update_fields=["is_superuser"])
    return confirm_account(user)


@pytest.fixture
def owner(db: None) -> Any:
    return make_member("grace@example.com", "Grace")


@pytest.fixture
def other(db: None) -> Any:
    return make_member("linus@example.com", "Linus")


@pytest.fixture
def staff(db: None) -> Any:
    return make_member("staff@example.com", "Staff", is_staff=True)


@pytest.fixture
def blueprint(owner: Any) -> Blueprint:
    return services.blueprint_create(
        owner=owner,
        title="Desert buggy chassis",
        description="A *light* space frame.",
        category="chassis",
        tags=["off-road", "space frame"],
    )


def draft_of(blueprint: Blueprint) -> Revision:
    return blueprint.revisions.get(is_published=False)


def send_like_a_browser(upload: dict[str, Any], data: bytes, *, name: str = "file") -> requests.Response:
    """What the upload page's JavaScript does with a ticket: one form POST, or PUT every part."""
    if upload["method"] == "post":
        return requests.post(upload["url"], data=upload["fields"], files={"file": (name, data)}, timeout=30)
    response = None
    for part in upload["parts"]:
        start = (part["number"] - 1) * upload["part_size"]
        response = requests.put(part["url"], data=data[start : start + upload["part_size"]], timeout=60)
        response.raise_for_status()
    assert response is not None
    return response


def process_here(file: File) -> File:
    """Run the worker's job in this process, with its after-commit work (staging clean-up) done too."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        processed = services.file_process(file_id=file.pk)
    assert processed is not None
    return processed


def upload_file(revision: Revision, user: Any, name: str, data: bytes, content_type: str = "") -> File:
    """Start, send and complete an upload, then process it here."""
    file, ticket = services.upload_start(
        revision=revision, user=user, name=name, size=len(data), content_type=content_type
    )
    response = send_like_a_browser(ticket.as_dict(), data)
    assert response.status_code in (200, 204), response.text
    with TestCase.captureOnCommitCallbacks(execute=False) as enqueued:
        services.upload_complete(file=file, user=user)
    assert len(enqueued) == 1  # the processing task, sent after commit
    return process_here(file)


@pytest.fixture
def published(blueprint: Blueprint, owner: Any, s3_bucket: str) -> Blueprint:
    """The blueprint with revision 1 published: a sketch (PNG) and a model (STL)."""
    draft = draft_of(blueprint)
    upload_file(draft, owner, "sketch.png", samples.png())
    upload_file(draft, owner, "frame.stl", samples.binary_stl())
    services.revision_publish(revision=draft, user=owner, change_notes="First release.")
    blueprint.refresh_from_db()
    return blueprint


@pytest.fixture
def uploader() -> Callable[..., File]:
    return upload_file


def ready_file(revision: Revision, name: str, *, kind: str = "cad_model", file_type: str = "stl") -> File:
    """A file row as processing leaves it (no bytes in S3): for tests about pages, search and counts."""
    digest = hashlib.sha256(f"{revision.pk}/{name}".encode()).hexdigest()
    return File.objects.create(
        revision=revision,
        original_name=name,
        file_type=file_type,
        kind=kind,
        content_type="model/stl" if file_type == "stl" else "image/png",
        size=1234,
        sha256=digest,
        storage_key=f"blobs/sha256/{digest}",
        preview_key=f"previews/v1/{digest}.png",
        status=FileStatus.READY,
        triangle_count=12 if kind == "cad_model" else None,
    )


def make_published(owner: Any, title: str, *, files: int = 1, **fields: Any) -> Blueprint:
    """A blueprint with revision 1 published, its files made as rows (fast; no S3)."""
    blueprint = services.blueprint_create(owner=owner, title=title, **fields)
    draft = draft_of(blueprint)
    for number in range(files):
        ready_file(draft, f"part-{number}.stl")
    services.revision_publish(revision=draft, user=owner)
    blueprint.refresh_from_db()
    return blueprint
