"""End-to-end uploads against the real S3 server, sent the way a browser sends them (with `requests`).

The web process only signs and checks; the bytes go straight to S3. Processing (the worker's job)
runs in-process here; `test_worker.py` runs it in a real Celery worker.
"""

import hashlib
from datetime import timedelta
from typing import Any

import pytest
import requests
from django.test import TestCase
from django.utils import timezone

from blueprints import services, storage
from blueprints.models import File, FileStatus, FileStatusChange, RejectionCode
from blueprints.tests import samples
from blueprints.tests.conftest import draft_of, process_here, send_like_a_browser, upload_file
from core.exceptions import ApplicationError
from core.s3 import internal_client

pytestmark = pytest.mark.django_db

MiB = 1024 * 1024


@pytest.fixture
def small_multipart(settings: Any) -> None:
    """Multipart from 5 MiB on, in 5 MiB parts (S3's smallest), so tests stay quick."""
    settings.BLUEPRINT_MULTIPART_THRESHOLD = 5 * MiB
    settings.BLUEPRINT_MULTIPART_PART_SIZE = 5 * MiB


def start(blueprint, owner, name, data, content_type=""):
    return services.upload_start(
        revision=draft_of(blueprint), user=owner, name=name, size=len(data), content_type=content_type
    )


# --- Accepted files ---------------------------------------------------------------------------


def test_a_png_goes_up_by_presigned_post_and_becomes_ready_under_its_content_address(blueprint, owner):
    data = samples.png(640, 400)

    file = upload_file(draft_of(blueprint), owner, "sketch.png", data, "image/png")

    digest = hashlib.sha256(data).hexdigest()
    assert file.status == FileStatus.READY
    assert file.sha256 == digest
    assert file.storage_key == f"blobs/sha256/{digest}"
    assert storage.object_size(file.storage_key) == len(data)
    assert (file.image_width, file.image_height) == (640, 400)
    assert file.preview_key.startswith("previews/")
    assert storage.object_size(file.preview_key)
    assert storage.object_size(file.upload_key) is None  # the staging object is gone
    assert list(file.status_changes.values_list("from_status", "to_status")) == [("pending", "ready")]


def test_the_ticket_is_a_form_post_for_this_key_type_and_exact_size(blueprint, owner):
    data = samples.png()

    file, ticket = start(blueprint, owner, "sketch.png", data)

    upload = ticket.as_dict()
    assert upload["method"] == "post"
    assert upload["fields"]["key"] == file.upload_key
    assert file.upload_key.startswith("uploads/")
    assert "sketch" not in file.upload_key  # names never choose keys
    assert upload["fields"]["Content-Type"] == "image/png"


def test_a_large_stl_goes_up_in_parts_can_be_resumed_and_is_measured(blueprint, owner, small_multipart):
    data = samples.padded_stl(11 * MiB)
    file, ticket = start(blueprint, owner, "body.stl", data)
    upload = ticket.as_dict()
    assert upload["method"] == "multipart"
    assert [part["number"] for part in upload["parts"]] == [1, 2, 3]

    # The browser sends part 1, then the tab is closed.
    first = upload["parts"][0]
    assert requests.put(first["url"], data=data[: 5 * MiB], timeout=60).status_code == 200
    with pytest.raises(ApplicationError) as not_yet:
        services.upload_complete(file=file, user=owner)
    assert not_yet.value.extra["missing_parts"] == [2, 3]

    # Back again: S3 knows part 1; fresh URLs come for the others only.
    status = services.upload_status(file=file, user=owner)
    assert status["uploaded"] == [{"number": 1, "size": 5 * MiB}]
    assert [part["number"] for part in status["parts"]] == [2, 3]
    for part in status["parts"]:
        begin = (part["number"] - 1) * status["part_size"]
        assert requests.put(part["url"], data=data[begin : begin + part["size"]], timeout=60).status_code == 200

    with TestCase.captureOnCommitCallbacks(execute=False):
        services.upload_complete(file=file, user=owner)
    file = process_here(file)

    assert file.status == FileStatus.READY
    assert file.sha256 == hashlib.sha256(data).hexdigest()
    assert storage.object_size(file.storage_key) == len(data)
    assert file.triangle_count == (len(data) - 84) // 50
    assert file.bbox_min == [0, 0, 0]
    assert file.bbox_max == [1, 1, 1]
    assert storage.object_size(file.preview_key)


def test_a_part_of_the_wrong_size_is_refused_and_can_be_sent_again(blueprint, owner, small_multipart):
    data = samples.padded_stl(6 * MiB)
    file, ticket = start(blueprint, owner, "body.stl", data)
    first, second = ticket.as_dict()["parts"]
    requests.put(first["url"], data=data[: 5 * MiB], timeout=60)
    # Part URLs sign their length: a store that checks it refuses; one that does not is caught at "complete".
    short = requests.put(second["url"], data=data[5 * MiB : -10], timeout=60)
    if short.status_code == 200:
        with pytest.raises(ApplicationError) as wrong:
            services.upload_complete(file=file, user=owner)
        assert wrong.value.extra["wrong_parts"] == [2]
    assert requests.put(second["url"], data=data[5 * MiB :], timeout=60).status_code == 200
    with TestCase.captureOnCommitCallbacks(execute=False):
        assert services.upload_complete(file=file, user=owner).upload_completed_at is not None


@pytest.mark.parametrize(
    ("name", "data", "content_type"),
    [
        ("cube.stl", samples.ascii_stl(), ""),
        ("cube.obj", samples.obj_model(), "text/plain"),
        ("cube.stl", samples.binary_stl(), "application/octet-stream"),
    ],
)
def test_stl_and_obj_models_get_a_rendered_preview_and_mesh_facts(blueprint, owner, name, data, content_type):
    file = upload_file(draft_of(blueprint), owner, name, data, content_type)

    assert file.status == FileStatus.READY, file.rejection_reason
    assert file.triangle_count == 12
    assert file.is_watertight is True
    assert file.volume == pytest.approx(1.0)
    assert file.dimensions == [1, 1, 1]
    preview = requests.get(storage.preview_url(file.preview_key), timeout=10)
    assert preview.content.startswith(b"\x89PNG")


def test_a_gltf_binary_model_is_rendered_and_measured_y_up_turned_z_up(blueprint, owner):
    file = upload_file(draft_of(blueprint), owner, "box.glb", samples.glb_box((1, 2, 3)), "model/gltf-binary")

    assert file.status == FileStatus.READY, file.rejection_reason
    assert file.triangle_count == 12
    assert file.dimensions == [1, 3, 2]  # glTF's y (2) is up, so it becomes z
    assert file.volume == pytest.approx(6.0)
    assert file.is_viewable


def test_a_3mf_package_needs_its_model_part(blueprint, owner):
    draft = draft_of(blueprint)

    good = upload_file(draft, owner, "part.3mf", samples.three_mf())
    bad = upload_file(draft, owner, "other.3mf", samples.three_mf(with_model=False))

    assert good.status == FileStatus.READY
    assert bad.rejection_code == RejectionCode.CONTENT_MISMATCH


def test_pdf_and_zip_are_accepted_without_a_preview(blueprint, owner):
    draft = draft_of(blueprint)

    drawing = upload_file(draft, owner, "plan.pdf", samples.pdf(), "application/pdf")
    archive = upload_file(draft, owner, "sources.zip", samples.zip_archive({"frame/notes.txt": b"hi"}))

    assert (drawing.status, drawing.kind, drawing.preview_key) == (FileStatus.READY, "drawing", "")
    assert (archive.status, archive.kind) == (FileStatus.READY, "archive")


def test_the_same_bytes_uploaded_twice_share_one_blob(blueprint, owner):
    draft = draft_of(blueprint)
    data = samples.binary_stl(scale=2.0)

    first = upload_file(draft, owner, "a.stl", data)
    second = upload_file(draft, owner, "b.stl", data)

    assert first.storage_key == second.storage_key


# --- Refused before any byte moves --------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content_type"),
    [
        ("page.html", "text/html"),
        ("logo.svg", "image/svg+xml"),
        ("setup.exe", "application/octet-stream"),
        ("no-extension", ""),
        ("sketch.png", "text/html"),  # the declared type contradicts the name
    ],
)
def test_a_type_not_on_the_allow_list_gets_no_upload_slot(blueprint, owner, name, content_type):
    with pytest.raises(ApplicationError) as refused:
        services.upload_start(revision=draft_of(blueprint), user=owner, name=name, size=100, content_type=content_type)

    assert "not allowed" in refused.value.message
    assert not File.objects.exists()


def test_a_file_over_the_size_limit_gets_no_upload_slot(blueprint, owner, settings):
    settings.BLUEPRINT_UPLOAD_MAX_BYTES = 1000

    with pytest.raises(ApplicationError) as refused:
        services.upload_start(revision=draft_of(blueprint), user=owner, name="big.stl", size=1001, content_type="")

    assert "larger than the limit" in refused.value.message
    assert refused.value.extra == {"fields": {"size": [refused.value.message]}}


def test_the_default_limit_is_five_gibibytes(settings):
    assert settings.BLUEPRINT_UPLOAD_MAX_BYTES == 5 * 1024**3


def test_s3_refuses_more_bytes_than_declared_and_complete_then_finds_nothing(blueprint, owner):
    data = samples.png()
    file, ticket = start(blueprint, owner, "sketch.png", data)

    bigger = send_like_a_browser(ticket.as_dict(), data + b"\0" * 100)
    smaller = send_like_a_browser(ticket.as_dict(), data[:-1])

    assert bigger.status_code == 400
    assert "EntityTooLarge" in bigger.text
    assert smaller.status_code == 400
    with pytest.raises(ApplicationError, match="not been uploaded"):
        services.upload_complete(file=file, user=owner)
    file.refresh_from_db()
    assert (file.status, file.upload_completed_at) == (FileStatus.PENDING, None)


def test_the_browser_cannot_choose_another_key_or_type_than_the_ticket_says(blueprint, owner):
    data = samples.png()
    _file, ticket = start(blueprint, owner, "sketch.png", data)
    upload = ticket.as_dict()

    other_key = {**upload["fields"], "key": "blobs/sha256/" + "0" * 64}
    other_type = {**upload["fields"], "Content-Type": "text/html"}

    assert requests.post(upload["url"], data=other_key, files={"file": data}, timeout=10).status_code == 403
    assert requests.post(upload["url"], data=other_type, files={"file": data}, timeout=10).status_code == 403
    assert storage.object_size("blobs/sha256/" + "0" * 64) is None


def test_complete_for_an_object_never_uploaded_changes_nothing(blueprint, owner):
    file, _ticket = start(blueprint, owner, "sketch.png", samples.png())

    with TestCase.captureOnCommitCallbacks(execute=False) as enqueued, pytest.raises(ApplicationError) as refused:
        services.upload_complete(file=file, user=owner)

    assert refused.value.message == "The file has not been uploaded yet."
    assert enqueued == []
    file.refresh_from_db()
    assert (file.status, file.upload_completed_at) == (FileStatus.PENDING, None)


def test_a_file_name_with_path_traversal_and_control_characters_is_cleaned_and_never_a_key(blueprint, owner):
    hostile = "../../etc/\x00pass\nwd\u202e\t.stl"

    file = upload_file(draft_of(blueprint), owner, hostile, samples.binary_stl())

    assert file.original_name == "passwd.stl"
    assert file.status == FileStatus.READY
    assert file.upload_key.startswith("uploads/")
    assert ".." not in file.upload_key
    assert file.storage_key == f"blobs/sha256/{file.sha256}"


@pytest.mark.parametrize("name", ["../..", "..\\..\\", "\x00\x01\x02", "/", "  .  "])
def test_a_name_with_nothing_usable_left_is_refused(blueprint, owner, name):
    with pytest.raises(ApplicationError, match="file name cannot be used"):
        services.upload_start(revision=draft_of(blueprint), user=owner, name=name, size=10, content_type="")


def test_a_new_upload_replaces_an_unfinished_one_of_the_same_name(blueprint, owner):
    data = samples.png()
    abandoned, ticket = start(blueprint, owner, "sketch.png", data)
    send_like_a_browser(ticket.as_dict(), data[:-1])  # the tab was closed mid-way

    again = upload_file(draft_of(blueprint), owner, "sketch.png", data)

    assert again.status == FileStatus.READY
    assert not File.objects.filter(pk=abandoned.pk).exists()


def test_two_files_of_one_name_in_a_revision_are_refused(blueprint, owner):
    upload_file(draft_of(blueprint), owner, "frame.stl", samples.binary_stl())

    with pytest.raises(ApplicationError, match="already has a file called frame.stl"):
        start(blueprint, owner, "frame.stl", samples.binary_stl(scale=3))


# --- Rejected after upload ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("drawing.pdf", samples.html_page()),
        ("sketch.png", samples.pdf()),
        ("photo.jpg", samples.png()),
        ("frame.stl", samples.png()),
        ("model.step", samples.html_page()),
        ("parts.zip", samples.html_page()),
    ],
)
def test_content_that_does_not_match_its_declared_type_is_rejected_and_its_bytes_deleted(blueprint, owner, name, data):
    file = upload_file(draft_of(blueprint), owner, name, data)

    assert file.status == FileStatus.REJECTED
    assert file.rejection_code == RejectionCode.CONTENT_MISMATCH
    assert file.rejection_reason.startswith("The content does not match the declared file type.")
    assert file.storage_key == ""
    assert storage.object_size(file.upload_key) is None


def test_a_decompression_bomb_png_is_rejected_before_decoding(blueprint, owner):
    bomb = samples.decompression_bomb_png()
    assert len(bomb) < 1024 * 1024

    file = upload_file(draft_of(blueprint), owner, "bomb.png", bomb, "image/png")

    assert file.status == FileStatus.REJECTED
    assert file.rejection_code == RejectionCode.IMAGE_TOO_LARGE
    assert file.rejection_reason.endswith("900,000,000 px")
    assert file.preview_key == ""


@pytest.mark.parametrize(("width", "height"), [(101, 100), (300, 300)])
def test_an_image_over_the_configured_pixel_limit_is_rejected(blueprint, owner, settings, width, height):
    settings.BLUEPRINT_IMAGE_MAX_PIXELS = 10_000

    file = upload_file(draft_of(blueprint), owner, "wide.png", samples.png(width, height))

    assert file.rejection_code == RejectionCode.IMAGE_TOO_LARGE
    assert file.rejection_reason.endswith(f"{width * height:,} px")


def test_an_archive_that_would_unpack_outside_its_folder_is_rejected(blueprint, owner):
    archive = samples.zip_archive({"ok.txt": b"fine", "../../home/.bashrc": b"evil"})

    file = upload_file(draft_of(blueprint), owner, "parts.zip", archive)

    assert file.rejection_code == RejectionCode.UNSAFE_ARCHIVE
    assert "../../home/.bashrc" in file.rejection_reason


def test_a_rejection_keeps_the_draft_consistent_and_is_shown_to_the_uploader(blueprint, owner):
    draft = draft_of(blueprint)
    upload_file(draft, owner, "frame.stl", samples.binary_stl())
    rejected = upload_file(draft, owner, "drawing.pdf", samples.html_page())

    with pytest.raises(ApplicationError, match="Remove the rejected file first: drawing.pdf"):
        services.revision_publish(revision=draft, user=owner)

    # The uploader may upload a good file of the same name next to the rejected one, then remove it.
    upload_file(draft, owner, "drawing.pdf", samples.pdf())
    services.file_remove(file=rejected, user=owner)
    services.revision_publish(revision=draft, user=owner)
    assert sorted(draft.files.values_list("original_name", "status")) == [
        ("drawing.pdf", "ready"),
        ("frame.stl", "ready"),
    ]


def test_processing_twice_decides_once(blueprint, owner):
    file = upload_file(draft_of(blueprint), owner, "frame.stl", samples.binary_stl())

    again = process_here(file)

    assert again.status == FileStatus.READY
    assert FileStatusChange.objects.filter(file=file).count() == 1


def test_an_upload_deleted_before_processing_is_rejected_as_missing(blueprint, owner):
    data = samples.png()
    file, ticket = start(blueprint, owner, "sketch.png", data)
    send_like_a_browser(ticket.as_dict(), data)
    with TestCase.captureOnCommitCallbacks(execute=False):
        services.upload_complete(file=file, user=owner)
    storage.object_delete(file.upload_key)

    file = process_here(file)

    assert file.rejection_code == RejectionCode.MISSING


# --- The sweeper --------------------------------------------------------------------------------


def _backdate(file: File, hours: int) -> None:
    File.objects.filter(pk=file.pk).update(created_at=timezone.now() - timedelta(hours=hours))


def test_the_sweeper_expires_uploads_never_completed_with_their_objects_and_multipart_uploads(
    blueprint, owner, small_multipart
):
    data = samples.png()
    posted, post_ticket = start(blueprint, owner, "sketch.png", data)
    send_like_a_browser(post_ticket.as_dict(), data)  # sent, never completed
    big = samples.padded_stl(6 * MiB)
    parted, part_ticket = start(blueprint, owner, "body.stl", big)
    requests.put(part_ticket.as_dict()["parts"][0]["url"], data=big[: 5 * MiB], timeout=60)
    fresh, fresh_ticket = start(blueprint, owner, "fresh.png", data)
    send_like_a_browser(fresh_ticket.as_dict(), data)
    _backdate(posted, 25)
    _backdate(parted, 25)

    with TestCase.captureOnCommitCallbacks(execute=True):
        report = services.upload_sweep_stale()

    assert report.expired == 2
    for file in (posted, parted):
        file.refresh_from_db()
        assert file.status == FileStatus.REJECTED
        assert file.rejection_code == RejectionCode.UPLOAD_EXPIRED
        assert storage.object_size(file.upload_key) is None
    assert parted.multipart_upload_id not in {upload.upload_id for upload in storage.multipart_uploads()}
    fresh.refresh_from_db()
    assert fresh.status == FileStatus.PENDING
    assert storage.object_size(fresh.upload_key) == len(data)


def test_the_sweeper_removes_old_staging_objects_nothing_refers_to_and_keeps_live_ones(blueprint, owner):
    storage.object_put_once(key="uploads/orphan-from-a-crash", data=b"lost", content_type="image/png")
    storage.multipart_create(key="uploads/orphan-multipart", content_type="model/stl")
    data = samples.png()
    completed, ticket = start(blueprint, owner, "sketch.png", data)
    send_like_a_browser(ticket.as_dict(), data)
    with TestCase.captureOnCommitCallbacks(execute=False):
        services.upload_complete(file=completed, user=owner)

    # A day later; the completed upload never got to a worker.
    with TestCase.captureOnCommitCallbacks(execute=False) as requeued:
        report = services.upload_sweep_stale(now=timezone.now() + timedelta(hours=25))

    assert storage.object_size("uploads/orphan-from-a-crash") is None
    assert "uploads/orphan-multipart" not in {upload.key for upload in storage.multipart_uploads()}
    assert storage.object_size(completed.upload_key) == len(data)
    assert report.deleted_objects >= 1
    assert report.aborted_multipart >= 1
    assert report.requeued == 1
    assert len(requeued) == 1


def test_the_sweeper_runs_on_the_beat_schedule(settings):
    from blueprints.tasks import beat_schedule, sweep_stale_uploads

    settings.BLUEPRINT_SWEEP_MINUTES = 5
    entry = beat_schedule()["blueprints.sweep_stale_uploads"]

    assert entry["task"] == sweep_stale_uploads.name
    assert entry["schedule"] == timedelta(minutes=5)


def test_the_bucket_lets_our_origins_upload_from_browsers(settings):
    assert storage.upload_cors_ensure(origins=["https://coachworks.example"]) is True

    rules = internal_client().get_bucket_cors(Bucket=settings.S3_BUCKET)["CORSRules"]

    assert rules[0]["AllowedOrigins"] == ["https://coachworks.example"]
    assert set(rules[0]["AllowedMethods"]) >= {"POST", "PUT", "GET"}
    assert rules[0]["ExposeHeaders"] == ["ETag"]
