"""Processing in a real Celery worker process, and what happens when it gives up."""

import time

import pytest

from blueprints import services, storage, tasks
from blueprints.models import File, FileStatus, RejectionCode
from blueprints.tests import samples
from blueprints.tests.conftest import draft_of, make_member, send_like_a_browser
from core.actors import Actor

pytestmark = [pytest.mark.django_db(transaction=True)]


def wait_for_verdict(file: File, timeout: float = 90) -> File:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        file.refresh_from_db()
        if file.status != FileStatus.PENDING:
            return file
        time.sleep(0.3)
    raise AssertionError(f"file {file.pk} still pending after {timeout} s")


@pytest.mark.worker
def test_a_worker_checks_an_uploaded_model_and_a_hostile_file(celery_worker_process):
    owner = make_member("worker@example.com", "Worker")
    blueprint = services.blueprint_create(owner=owner, title="Worker test")
    draft = draft_of(blueprint)
    uploads = {}
    for name, data in (("cube.stl", samples.binary_stl()), ("plan.pdf", samples.html_page())):
        file, ticket = services.upload_start(revision=draft, user=owner, name=name, size=len(data), content_type="")
        send_like_a_browser(ticket.as_dict(), data)
        services.upload_complete(file=file, user=owner)  # commits: the task goes to the worker
        uploads[name] = file

    model = wait_for_verdict(uploads["cube.stl"])
    hostile = wait_for_verdict(uploads["plan.pdf"])

    assert model.status == FileStatus.READY
    assert (model.triangle_count, model.volume) == (12, pytest.approx(1.0))
    assert storage.object_size(model.preview_key)
    assert hostile.rejection_code == RejectionCode.CONTENT_MISMATCH
    assert storage.object_size(hostile.upload_key) is None


def test_a_processing_that_gives_up_is_recorded_and_staff_can_run_it_again(monkeypatch):
    owner = make_member("owner@example.com", "Owner")
    staff = make_member("staff@example.com", "Staff", is_staff=True)
    blueprint = services.blueprint_create(owner=owner, title="Retry test")
    data = samples.binary_stl()
    file, ticket = services.upload_start(
        revision=draft_of(blueprint), user=owner, name="cube.stl", size=len(data), content_type=""
    )
    send_like_a_browser(ticket.as_dict(), data)
    monkeypatch.setattr(tasks.process_file, "delay", lambda file_id: None)  # no broker: we run it below
    services.upload_complete(file=file, user=owner)

    # What Celery calls once the retries are spent.
    tasks.process_file.on_failure(TimeoutError("S3 timed out"), "task-id", (file.pk,), {}, None)

    file.refresh_from_db()
    assert (file.status, file.rejection_code) == (FileStatus.REJECTED, RejectionCode.PROCESSING_FAILED)
    assert "Staff can try again" in file.rejection_reason
    assert storage.object_size(file.upload_key) == len(data)  # kept for the re-run

    services.file_reprocess(file=file, actor=Actor.user(staff))
    file.refresh_from_db()
    assert file.status == FileStatus.PENDING
    tasks.process_file.run(file.pk)
    file.refresh_from_db()
    assert file.status == FileStatus.READY
    assert list(file.status_changes.values_list("to_status", "actor__email", "task")) == [
        ("rejected", None, "blueprints.process_file"),
        ("pending", "staff@example.com", ""),
        ("ready", None, "blueprints.process_file"),
    ]
