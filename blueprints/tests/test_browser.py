"""A member uploads in a real headless Chromium straight to S3, watches the progress bar and sees
the preview a real Celery worker rendered; then publishes, and the 3D viewer loads the model."""

from typing import Any

import pytest
from playwright.sync_api import expect

from blueprints import services, storage
from blueprints.tests import samples

pytestmark = [pytest.mark.browser, pytest.mark.worker, pytest.mark.django_db(transaction=True)]

MiB = 1024 * 1024


@pytest.fixture
def unhashed_static(settings: Any) -> None:
    """The live server serves static files through the finders, which know no hashed (manifest) names."""
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture
def upload_page(unhashed_static: None, signed_in_page: Any, member: Any, live_server: Any) -> Any:
    storage.upload_cors_ensure(origins=[live_server.url])
    blueprint = services.blueprint_create(owner=member, title="Browser buggy", category="chassis")
    signed_in_page.goto(f"/blueprints/{blueprint.slug}/r/1/upload/")
    signed_in_page.blueprint = blueprint
    return signed_in_page


def choose(page: Any, name: str, data: bytes, mime: str = "") -> None:
    page.set_input_files("[data-testid=file-input]", files=[{"name": name, "mimeType": mime, "buffer": data}])


def test_a_member_uploads_a_model_sees_progress_and_preview_publishes_and_views_it_in_3d(
    upload_page, celery_worker_process
):
    page = upload_page
    choose(page, "cube.stl", samples.binary_stl(), "model/stl")

    row = page.locator("[data-testid=upload]")
    progress = row.locator("[data-testid=upload-progress]")
    expect(progress).to_be_visible()
    expect(progress).to_have_js_property("value", 100, timeout=30_000)
    expect(row.locator("[data-testid=upload-preview]")).to_be_visible(timeout=90_000)
    expect(row.locator("[data-testid=upload-status]")).to_have_text("Ready")

    page.reload()
    page.click("[data-testid=publish]")
    expect(page.locator("[data-testid=blueprint-title]")).to_have_text("Browser buggy")
    expect(page.locator("[data-testid=preview]")).to_be_visible()

    page.click("[data-testid=view-3d]")
    viewer = page.locator("[data-testid=viewer]")
    expect(viewer).to_have_attribute("data-triangles", "12", timeout=30_000)
    expect(viewer).to_have_attribute("data-state", "shown")


def test_a_large_file_goes_up_in_parts_with_one_progress_bar(upload_page, celery_worker_process, settings):
    settings.BLUEPRINT_MULTIPART_THRESHOLD = 5 * MiB
    settings.BLUEPRINT_MULTIPART_PART_SIZE = 5 * MiB
    page = upload_page
    page.reload()
    data = samples.padded_stl(12 * MiB)

    choose(page, "body.stl", data)

    row = page.locator("[data-testid=upload]")
    expect(row.locator("[data-testid=upload-progress]")).to_have_js_property("value", 100, timeout=60_000)
    expect(row.locator("[data-testid=upload-preview]")).to_be_visible(timeout=120_000)
    file = page.blueprint.revisions.get().files.get()
    assert file.multipart_upload_id
    assert file.size == len(data)
    assert file.triangle_count == (len(data) - 84) // 50


def test_a_refused_type_and_a_rejected_file_are_explained(upload_page, celery_worker_process):
    page = upload_page

    choose(page, "notes.html", samples.html_page(), "text/html")
    expect(page.locator("[data-testid=upload-status]")).to_contain_text("not allowed")

    page.reload()
    choose(page, "plan.pdf", samples.html_page(), "application/pdf")
    expect(page.locator("[data-testid=upload-status]")).to_contain_text(
        "Rejected: The content does not match the declared file type.", timeout=90_000
    )
