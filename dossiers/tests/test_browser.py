"""The client in a real headless Chromium: opens the dossier of a completed challenge, sees the
assembled vehicle in 3D, places a part (saved, and still there after a reload, and rendered into a
new still by a real worker), then has the package built by the worker, downloads it through its
presigned URL and checks manifest.json and NOTICE.md against the awards. Screenshots at 320 and
1366 px in English and German go to /work/shots/dossier/ (or $DOSSIER_SHOTS)."""

import hashlib
import io
import json
import os
import re
import time
import zipfile
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from blueprints import storage
from blueprints.models import File, FileStatus
from conftest import sign_in
from dossiers import demo
from dossiers.assembly import effective_placements, placement_rows, still_digest
from dossiers.models import DossierVersion, PartPlacement
from dossiers.selectors import dossier_view
from dossiers.tests import factories
from dossiers.tests.factories import DossierScenario, completed_challenge_with_dossier
from submissions.models import EntryAuthor
from tests.accounts import confirm_account

pytestmark = [pytest.mark.browser, pytest.mark.worker, pytest.mark.django_db(transaction=True)]

SHOTS = Path(os.environ.get("DOSSIER_SHOTS", "/work/shots/dossier"))
PASSWORD = "a-Long-and-unusual-pw-2026"  # challenges.tests.factories.PASSWORD


def wait_for(condition: Any, *, timeout: float = 90.0, what: str = "") -> Any:
    """Poll `condition` until it returns something truthy (a worker is doing the work)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}")


def shoot(page: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


# The factory's meshes are boxes kilometres apart; these assemble into a vehicle (the demo's shapes).
SHAPES = {0: demo.body_shell, 1: demo.cab_front, 2: demo.wheel_set, 9: demo.body_shell}


def vehicle_mesh(*, size: int = 0, seed: int = 0) -> bytes:
    """The shape of the seed's phase (the factory passes (phase index * 1000 + ...) * 100), with bytes of its own."""
    return demo.binary_stl(SHAPES[seed // 100_000](), f"seed {seed}")


@pytest.fixture
def scenario(live_server: Any, monkeypatch: Any) -> DossierScenario:
    storage.upload_cors_ensure(origins=[live_server.url])  # the scene fetches meshes straight from S3
    monkeypatch.setattr(factories, "stl_mesh", vehicle_mesh)
    made = completed_challenge_with_dossier(phases=("concept", "front", "wheels_tyres"), entries_per_phase=2)
    confirm_account(made.owner)
    return made


def test_the_client_places_a_part_and_downloads_a_package_that_credits_every_author(
    page, scenario, celery_worker_process
):
    view = dossier_view(user=scenario.owner, slug=scenario.slug)
    front = next(part for section in view.phases if section.kind == "front" for part in section.parts)
    sign_in(page, scenario.owner.email, PASSWORD)
    page.set_viewport_size({"width": 1366, "height": 900})
    page.goto(f"/challenges/{scenario.slug}/dossier/")

    stage = page.locator("[data-testid=assembly-stage]")
    expect(stage).to_have_attribute("data-state", "shown", timeout=60_000)
    expect(stage).to_have_attribute("data-meshes", str(len(view.parts)))
    expect(page.locator("[data-testid=phase-toggle]")).to_have_count(3)

    # Place the front through its numbers; the scene follows and the page saves without reloading.
    form = page.locator(f"[data-placement-form='{front.part_id}']")
    form.locator("input[name=position_x]").fill("2.75")
    form.locator("input[name=position_z]").fill("0.1")
    form.locator("input[name=rotation_z]").fill("15")
    form.locator("input[name=scale]").fill("1.25")
    form.locator("[data-testid=placement-save]").click()
    expect(form).to_have_attribute("data-state", "saved")
    row = PartPlacement.objects.get(part_id=front.part_id)
    assert (row.position, row.rotation, row.scale, row.updated_by_id) == (
        [2.75, 0.0, 0.1],
        [0.0, 0.0, 15.0],
        1.25,
        scenario.owner.pk,
    )

    page.reload()
    form = page.locator(f"[data-placement-form='{front.part_id}']")
    expect(form.locator("input[name=position_x]")).to_have_value("2.75")
    expect(form.locator("input[name=rotation_z]")).to_have_value("15.0")
    expect(form.locator("input[name=scale]")).to_have_value("1.25")
    expect(stage).to_have_attribute("data-state", "shown", timeout=60_000)

    # The worker renders the still again with the part where it now sits.
    placed = dossier_view(user=scenario.owner, slug=scenario.slug)
    digest = still_digest(placed, effective_placements(placed, placement_rows(placed.version_id)))
    wait_for(
        lambda: DossierVersion.objects.filter(pk=view.version_id, still_digest=digest).exists(),
        what="the still of the new placement",
    )
    page.reload()
    expect(page.locator("[data-testid=assembly-still]")).to_have_attribute("src", re.compile(digest))
    shoot(page, "dossier-1366-en")
    page.set_viewport_size({"width": 320, "height": 800})
    shoot(page, "dossier-320-en")
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
    page.set_viewport_size({"width": 1366, "height": 900})
    page.select_option("#language", "de")
    expect(page.locator("html")).to_have_attribute("lang", "de")
    expect(page.locator("[data-testid=assembly-stage]")).to_have_attribute("data-state", "shown", timeout=60_000)
    shoot(page, "dossier-1366-de")
    page.set_viewport_size({"width": 320, "height": 800})
    shoot(page, "dossier-320-de")
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
    page.set_viewport_size({"width": 1366, "height": 900})

    # The package: asked for on the page, built by the worker, downloaded through its presigned URL.
    page.locator("[data-testid=package-build]").click()
    download_link = page.locator("[data-testid=package-download]")
    expect(download_link).to_be_visible(timeout=120_000)
    response = page.request.get(download_link.get_attribute("href") or "")
    assert response.ok, response.status
    assert "X-Amz-Signature" in response.url
    archive = zipfile.ZipFile(io.BytesIO(response.body()))
    names = archive.namelist()
    manifest = json.loads(archive.read(next(name for name in names if name.endswith("manifest.json"))))
    notice = archive.read(next(name for name in names if name.endswith("NOTICE.md"))).decode()

    awarded_revisions = {award.entry.revision_id for award in scenario.awards}
    expected = set(
        File.objects.filter(revision_id__in=awarded_revisions, status=FileStatus.READY).values_list(
            "pk", "sha256", "revision_id"
        )
    )
    listed = [(file["file_id"], file["sha256"], file["revision_id"]) for file in manifest["files"]]
    assert len(listed) == len(set(listed))
    assert set(listed) == expected
    folder = next(name for name in names if name.endswith("manifest.json"))[: -len("manifest.json")]
    for file in manifest["files"]:
        assert hashlib.sha256(archive.read(folder + file["path"])).hexdigest() == file["sha256"]

    authors = set(
        EntryAuthor.objects.filter(entry__in=[award.entry_id for award in scenario.awards]).values_list(
            "user__display_name", flat=True
        )
    )
    assert authors >= {"Designer 1", "Designer 2", "Co-author"}
    for name in (*authors, scenario.upstream_author.display_name):
        assert name in notice, f"NOTICE.md does not name {name}"
