"""The package of a dossier version: a reproducible zip streamed by a worker from S3 into S3.

The first tests build `DossierView`s by hand over objects put into the run's bucket, and stream
them into real multipart uploads; the later ones go through the page, the task and a real worker.
"""

import hashlib
import io
import json
import os
import time
import zipfile
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import requests
from django.conf import settings
from django.template.loader import render_to_string
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from blueprints import storage
from core.s3 import internal_client
from dossiers import packaging
from dossiers.models import DossierPackage, PackageStatus
from dossiers.packaging import (
    MultipartUploadWriter,
    PackageError,
    package_build,
    package_entries,
    package_request,
    page_context,
    part_size_for,
    zip_write,
)
from dossiers.selectors import DossierNotFound, dossier_view_for_version
from dossiers.snapshot import DossierPartView, DossierView, PartFile, PersonCredit, PhaseSection, Placement
from dossiers.tests.factories import DossierScenario, completed_challenge_with_dossier

MiB = 1024**2
# Stand-ins for NOTICE.md and BOM.csv in the tests that build a zip from hand-made views (the task uses the real ones).
PLACEHOLDER_DOCUMENTS = {"NOTICE.md": b"# Notice\n\nplaceholder\n", "BOM.csv": b"name,quantity\n"}
MADE = datetime(2026, 11, 2, 9, 30, 15, tzinfo=UTC)


class Sink:
    """A write-only, non-seekable file in memory (what zipfile gets when it writes to a network stream)."""

    def __init__(self) -> None:
        self.data = bytearray()

    def write(self, data: bytes) -> int:
        self.data += data
        return len(data)

    def tell(self) -> int:
        return len(self.data)

    def flush(self) -> None:
        pass


def stored(data: bytes) -> PartFile:
    """Put `data` into the bucket under its content address; the file record a ready file would have."""
    digest = hashlib.sha256(data).hexdigest()
    key = storage.blob_key(digest)
    internal_client().put_object(Bucket=settings.S3_BUCKET, Key=key, Body=data)
    return PartFile(
        file_id=int(digest[:6], 16),
        name="body.stl",
        file_type="stl",
        kind="cad_model",
        size=len(data),
        sha256=digest,
        storage_key=key,
        is_mesh=True,
    )


def part(*, rank: int, slug: str, files: tuple[PartFile, ...], revision: int = 1, part_id: int = 1) -> DossierPartView:
    return DossierPartView(
        part_id=part_id,
        position=part_id,
        phase_id=1,
        rank=rank,
        prize_amount=Decimal("1000.00"),
        prize_currency="EUR",
        awarded_at=MADE,
        entry_id=100 + part_id,
        entry_title=f"Entry {part_id}",
        entry_url=f"/entries/{100 + part_id}/",
        blueprint_id=200 + part_id,
        blueprint_title=slug.title(),
        blueprint_slug=slug,
        blueprint_url=f"/blueprints/{slug}/r/{revision}/",
        revision_id=300 + part_id,
        revision_number=revision,
        licence="CC-BY-SA-4.0",
        authors=(PersonCredit(7, "Ada", "/members/7/", True, Decimal("100")),),
        shares=(),
        upstream=(),
        files=files,
        bom=(),
        placement=Placement(),
        author_ids=frozenset({7}),
    )


def section(*, phase_id: int, position: int, kind: str, parts: tuple[DossierPartView, ...]) -> PhaseSection:
    return PhaseSection(
        phase_id=phase_id,
        title=kind.title(),
        kind=kind,
        kind_label=kind.title(),
        position=position,
        status="awarded",
        depends_on=(),
        parts=parts,
    )


def view(*phases: PhaseSection, number: int = 1) -> DossierView:
    return DossierView(
        dossier_id=1,
        version_id=1,
        number=number,
        created_at=MADE,
        is_complete=True,
        is_latest=True,
        challenge_id=42,
        challenge_title="Dune buggy",
        challenge_slug="dune-buggy",
        challenge_url="/challenges/dune-buggy/",
        challenge_owner_id=1,
        challenge_currency="EUR",
        phases=phases,
        versions=(),
        still_key="",
    )


def small_dossier() -> DossierView:
    body = stored(b"solid body\n" * 300)
    wheel = replace(stored(os.urandom(70_000)), name="wheel.stl")
    render = replace(stored(b"\x89PNG fake render"), name="render.png", file_type="png", is_mesh=False)
    return view(
        section(
            phase_id=1,
            position=1,
            kind="concept",
            parts=(part(rank=1, slug="sand-runner", files=(render, body), part_id=1),),
        ),
        section(
            phase_id=2,
            position=2,
            kind="wheels_tyres",
            parts=(
                part(rank=1, slug="balloon-wheels", files=(wheel,), revision=3, part_id=2),
                part(rank=2, slug="spoke-wheels", files=(replace(wheel, file_id=9),), part_id=3),
            ),
        ),
    )


def written(dossier: DossierView) -> bytes:
    sink = Sink()
    zip_write(dossier, sink, documents=PLACEHOLDER_DOCUMENTS)  # type: ignore[arg-type]
    return bytes(sink.data)


def test_the_zip_holds_every_file_under_its_phase_and_part_folders_with_the_documents_first():
    archive = zipfile.ZipFile(io.BytesIO(written(small_dossier())))
    assert archive.namelist() == [
        "dune-buggy-v1/manifest.json",
        "dune-buggy-v1/BOM.csv",
        "dune-buggy-v1/NOTICE.md",
        "dune-buggy-v1/01-concept/1-sand-runner-r1/body.stl",
        "dune-buggy-v1/01-concept/1-sand-runner-r1/render.png",
        "dune-buggy-v1/02-wheels_tyres/1-balloon-wheels-r3/wheel.stl",
        "dune-buggy-v1/02-wheels_tyres/2-spoke-wheels-r1/wheel.stl",
    ]
    assert archive.testzip() is None


def test_each_entry_matches_its_manifest_line_recomputed_from_the_zip():
    dossier = small_dossier()
    archive = zipfile.ZipFile(io.BytesIO(written(dossier)))
    manifest = json.loads(archive.read("dune-buggy-v1/manifest.json"))
    assert manifest["challenge"]["slug"] == "dune-buggy"
    assert manifest["version"] == 1
    assert manifest["made_at"] == "2026-11-02T09:30:15+00:00"
    listed = {line["path"]: line for line in manifest["files"] + manifest["documents"]}
    in_zip = {name.removeprefix("dune-buggy-v1/") for name in archive.namelist()} - {"manifest.json"}
    assert set(listed) == in_zip
    for path, line in listed.items():
        data = archive.read(f"dune-buggy-v1/{path}")
        assert len(data) == line["size"]
        assert hashlib.sha256(data).hexdigest() == line["sha256"]
    wheel = listed["02-wheels_tyres/1-balloon-wheels-r3/wheel.stl"]
    assert wheel["revision_number"] == 3
    assert wheel["blueprint_slug"] == "balloon-wheels"
    assert wheel["phase"]["kind"] == "wheels_tyres"
    assert wheel["licence"] == "CC-BY-SA-4.0"
    assert wheel["authors"] == [{"name": "Ada", "profile_url": f"{settings.SITE_URL}/members/7/", "lead": True}]


def test_the_same_version_gives_byte_identical_zips_with_fixed_times_and_modes():
    dossier = small_dossier()
    first, second = written(dossier), written(dossier)
    assert first == second
    for info in zipfile.ZipFile(io.BytesIO(first)).infolist():
        assert info.date_time == (2026, 11, 2, 9, 30, 14)  # zip times have two-second steps
        assert info.compress_type == zipfile.ZIP_STORED
        assert info.create_system == 3
        assert info.external_attr >> 16 == 0o100644


def test_names_are_cleaned_and_a_name_taken_twice_keeps_both_files():
    data = stored(b"x" * 10)
    sneaky = replace(data, name="../../etc/passwd", file_id=5)
    twin = replace(data, name="passwd", file_id=6)
    dossier = view(
        section(phase_id=1, position=1, kind="concept", parts=(part(rank=1, slug="a", files=(sneaky, twin)),))
    )
    assert [entry.path for entry in package_entries(dossier)] == [
        "01-concept/1-a-r1/passwd",
        "01-concept/1-a-r1/passwd-6",
    ]


def test_a_source_that_is_not_the_published_file_fails_the_build():
    genuine = stored(b"the published bytes")
    internal_client().put_object(Bucket=settings.S3_BUCKET, Key=genuine.storage_key, Body=b"the published byteZ")
    dossier = view(section(phase_id=1, position=1, kind="concept", parts=(part(rank=1, slug="a", files=(genuine,)),)))
    with pytest.raises(PackageError, match="not the file that was published"):
        written(dossier)


def test_a_zip_bigger_than_one_part_is_uploaded_in_parts_and_reads_back_whole():
    big = replace(stored(os.urandom(12 * MiB)), name="chassis.step")
    dossier = view(section(phase_id=1, position=1, kind="concept", parts=(part(rank=1, slug="a", files=(big,)),)))
    key = "dossiers/packages/42/staging/test-multipart.zip"
    upload_id = storage.multipart_create(key=key, content_type="application/zip")
    writer = MultipartUploadWriter(key=key, upload_id=upload_id, part_size=5 * MiB)
    zip_write(dossier, writer, documents=PLACEHOLDER_DOCUMENTS)
    writer.close()
    storage.multipart_complete(key=key, upload_id=upload_id, parts=writer.parts)

    assert [part.size for part in writer.parts][:2] == [5 * MiB, 5 * MiB]
    assert len(writer.parts) == 3
    stored_zip = b"".join(storage.object_chunks(key))
    assert len(stored_zip) == writer.size
    assert hashlib.sha256(stored_zip).hexdigest() == writer.sha256
    assert stored_zip == written(dossier)
    archive = zipfile.ZipFile(io.BytesIO(stored_zip))
    assert hashlib.sha256(archive.read("dune-buggy-v1/01-concept/1-a-r1/chassis.step")).hexdigest() == big.sha256


def test_parts_grow_only_when_a_package_would_need_more_than_ten_thousand():
    assert part_size_for(5 * 1024**3) == 8 * MiB
    huge = 200 * 1024**3
    assert part_size_for(huge) * 9_999 >= huge
    with pytest.raises(ValueError, match="at least"):
        MultipartUploadWriter(key="k", upload_id="u", part_size=MiB)


# --- Asking for, building and downloading the package of a real dossier ------------------------------


@pytest.fixture
def scenario(db):
    return completed_challenge_with_dossier(phases=("concept", "wheels_tyres"), entries_per_phase=2)


def latest_number(scenario: DossierScenario) -> int:
    return scenario.versions[-1].number


def requested(scenario: DossierScenario, user=None) -> DossierPackage:
    return package_request(user=user or scenario.owner, slug=scenario.slug, number=latest_number(scenario))


def built(scenario: DossierScenario) -> DossierPackage:
    package = requested(scenario)
    result = package_build(package_id=package.pk)
    assert result is not None
    return result


def zip_of(package: DossierPackage) -> zipfile.ZipFile:
    data = b"".join(storage.object_chunks(package.storage_key))
    assert hashlib.sha256(data).hexdigest() == package.sha256
    assert len(data) == package.size
    return zipfile.ZipFile(io.BytesIO(data))


def test_whoever_sees_the_dossier_asks_once_and_the_build_is_sent_after_commit(
    scenario, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        package = requested(scenario, user=scenario.entrants[1])
    assert package.status == PackageStatus.PENDING
    assert package.version_id == scenario.versions[-1].pk
    assert len(callbacks) == 1
    with django_capture_on_commit_callbacks() as callbacks:
        again = requested(scenario, user=scenario.outsider)  # a public challenge: anyone may see its dossier
    assert again.pk == package.pk
    assert again.attempts == 0
    assert callbacks == []
    assert DossierPackage.objects.count() == 1


def test_an_outsider_of_an_invite_only_challenge_can_neither_ask_nor_see(db, client):
    hidden = completed_challenge_with_dossier(phases=("concept",), entries_per_phase=1, invite_only=True)
    number = latest_number(hidden)
    with pytest.raises(DossierNotFound):
        package_request(user=hidden.outsider, slug=hidden.slug, number=number)
    assert not DossierPackage.objects.exists()
    built(hidden)
    client.force_login(hidden.outsider)
    for url in (
        reverse("dossiers:package", kwargs={"slug": hidden.slug, "number": number}),
        reverse("dossiers:package_status", kwargs={"slug": hidden.slug, "number": number}),
    ):
        assert client.get(url).status_code == 404
        assert client.post(url).status_code in {404, 405}
    client.force_login(hidden.entrants[0])
    assert client.get(reverse("dossiers:package", kwargs={"slug": hidden.slug, "number": number})).status_code == 302


def test_the_built_zip_holds_every_file_of_the_version_the_notice_and_the_bom_each_as_its_manifest_says(scenario):
    package = built(scenario)
    assert package.status == PackageStatus.READY, package.error
    dossier = dossier_view_for_version(package.version_id)
    number = dossier.number
    assert package.storage_key == f"dossiers/packages/{scenario.challenge.pk}/v{number}-{package.sha256}.zip"
    assert package.files_done == package.files_total == len(dossier.files)
    assert package.bytes_done == package.bytes_total == sum(file.size for file in dossier.files)
    assert package.upload_id == ""
    assert package.finished_at is not None
    archive = zip_of(package)
    folder = f"{scenario.slug}-v{number}"
    manifest = json.loads(archive.read(f"{folder}/manifest.json"))
    assert {line["file_id"] for line in manifest["files"]} == {file.file_id for file in dossier.files}
    assert {line["path"] for line in manifest["documents"]} == {"NOTICE.md", "BOM.csv"}
    for line in manifest["files"] + manifest["documents"]:
        data = archive.read(f"{folder}/{line['path']}")
        assert hashlib.sha256(data).hexdigest() == line["sha256"]
        assert len(data) == line["size"]
    assert len(archive.namelist()) == 3 + len(dossier.files)
    notice = archive.read(f"{folder}/NOTICE.md").decode()
    for part in dossier.parts:
        assert part.authors[0].name in notice
    assert archive.read(f"{folder}/BOM.csv").decode().count("\n") >= len(dossier.parts)
    revisions = {line["revision_id"] for line in manifest["files"]}
    assert revisions == {part.revision_id for part in dossier.parts}


def test_two_builds_of_one_version_are_byte_identical(scenario):
    first = built(scenario)
    storage.object_delete(first.storage_key)
    DossierPackage.objects.filter(pk=first.pk).update(
        status=PackageStatus.PENDING, storage_key="", sha256="", size=None, finished_at=None
    )
    second = package_build(package_id=first.pk)
    assert second is not None
    assert second.status == PackageStatus.READY
    assert second.sha256 == first.sha256
    assert second.storage_key == first.storage_key
    zip_of(second)


def test_a_ready_package_is_left_alone_and_a_package_under_a_worker_is_not_taken_by_another(
    scenario, django_capture_on_commit_callbacks
):
    ready = built(scenario)
    with django_capture_on_commit_callbacks() as callbacks:
        assert requested(scenario).status == PackageStatus.READY
    assert callbacks == []
    again = package_build(package_id=ready.pk)
    assert again is not None
    assert (again.status, again.sha256, again.updated_at) == (ready.status, ready.sha256, ready.updated_at)

    DossierPackage.objects.filter(pk=ready.pk).update(status=PackageStatus.BUILDING, attempts=3)
    untouched = package_build(package_id=ready.pk)
    assert untouched is not None
    assert (untouched.status, untouched.attempts) == (PackageStatus.BUILDING, 3)


def test_a_source_changed_in_s3_fails_the_build_clearly_and_leaves_no_upload_behind(scenario):
    victim = dossier_view_for_version(scenario.versions[-1].pk).files[0]
    original = b"".join(storage.object_chunks(victim.storage_key))
    internal_client().put_object(Bucket=settings.S3_BUCKET, Key=victim.storage_key, Body=original[:-1] + b"!")
    try:
        package = built(scenario)
    finally:
        internal_client().put_object(Bucket=settings.S3_BUCKET, Key=victim.storage_key, Body=original)
    assert package.status == PackageStatus.FAILED
    assert f"(file {victim.file_id}) is not the file that was published" in package.error
    assert package.storage_key == ""
    assert package.upload_id == ""
    assert package.upload_key == ""
    prefix = f"dossiers/packages/{scenario.challenge.pk}/"
    assert list(storage.multipart_uploads(prefix=prefix)) == []
    assert list(storage.objects(prefix=prefix)) == []


def test_a_failed_or_stale_package_goes_back_to_pending_with_one_more_attempt(
    scenario, django_capture_on_commit_callbacks
):
    package = requested(scenario)
    DossierPackage.objects.filter(pk=package.pk).update(
        status=PackageStatus.BUILDING, updated_at=timezone.now() - timedelta(minutes=9)
    )
    with django_capture_on_commit_callbacks() as callbacks:
        assert requested(scenario).status == PackageStatus.BUILDING  # still moving: left to its worker
    assert callbacks == []

    DossierPackage.objects.filter(pk=package.pk).update(
        status=PackageStatus.BUILDING, updated_at=timezone.now() - timedelta(minutes=11), bytes_done=5
    )
    with django_capture_on_commit_callbacks() as callbacks:
        stale = requested(scenario)
    assert (stale.status, stale.attempts, stale.bytes_done) == (PackageStatus.PENDING, 1, 0)
    assert len(callbacks) == 1

    DossierPackage.objects.filter(pk=package.pk).update(status=PackageStatus.FAILED, error="S3 was away")
    with django_capture_on_commit_callbacks() as callbacks:
        retried = requested(scenario)
    assert (retried.status, retried.attempts, retried.error) == (PackageStatus.PENDING, 2, "")
    assert len(callbacks) == 1


def test_an_attempt_overtaken_by_a_newer_one_stops_without_touching_the_row(scenario):
    package = requested(scenario)
    # A newer attempt was started while this worker looked dead: its claim token (attempts) moved on.
    progress = packaging._RowProgress(package.pk, attempt=package.attempts)
    DossierPackage.objects.filter(pk=package.pk).update(status=PackageStatus.BUILDING, attempts=package.attempts + 1)
    with pytest.raises(packaging.ClaimLost):
        progress.file_done()


def test_the_download_is_a_redirect_to_a_presigned_url_serving_the_zip_as_an_attachment(scenario, client):
    package = built(scenario)
    number = latest_number(scenario)
    url = reverse("dossiers:package", kwargs={"slug": scenario.slug, "number": number})
    assert client.get(url).status_code == 302  # to the sign-in page
    client.force_login(scenario.outsider)
    response = client.get(url)
    assert response.status_code == 302
    assert not response.content
    download = requests.get(response["Location"], timeout=30)
    assert download.status_code == 200
    assert hashlib.sha256(download.content).hexdigest() == package.sha256
    assert f'filename="{scenario.slug}-dossier-v{number}.zip"' in download.headers["Content-Disposition"]
    assert download.headers["Content-Disposition"].startswith("attachment")


def test_no_download_before_the_package_is_ready(scenario, client):
    requested(scenario)
    client.force_login(scenario.owner)
    url = reverse("dossiers:package", kwargs={"slug": scenario.slug, "number": latest_number(scenario)})
    assert client.get(url).status_code == 404


def test_a_post_asks_for_the_build_and_answers_json_or_goes_back_to_the_page(scenario, client):
    number = latest_number(scenario)
    url = reverse("dossiers:package", kwargs={"slug": scenario.slug, "number": number})
    client.force_login(scenario.entrants[0])
    answer = client.post(url, headers={"Accept": "application/json"})
    assert answer.status_code == 202
    assert answer.json()["status"] == "pending"
    assert answer.json()["download_url"] is None
    page = client.post(url)
    assert page.status_code == 302
    assert page["Location"].endswith("#package")
    assert DossierPackage.objects.count() == 1


def test_a_post_without_the_csrf_token_is_refused(scenario):
    client = Client(enforce_csrf_checks=True)
    client.force_login(scenario.owner)
    url = reverse("dossiers:package", kwargs={"slug": scenario.slug, "number": latest_number(scenario)})
    assert client.post(url).status_code == 403
    assert not DossierPackage.objects.exists()


def test_the_status_says_how_far_the_build_is_and_where_to_download_when_ready(scenario, client):
    number = latest_number(scenario)
    url = reverse("dossiers:package_status", kwargs={"slug": scenario.slug, "number": number})
    assert client.get(url).json()["status"] == "none"
    package = requested(scenario)
    DossierPackage.objects.filter(pk=package.pk).update(
        status=PackageStatus.BUILDING, files_total=10, files_done=4, bytes_total=1000, bytes_done=250
    )
    state = client.get(url).json()
    assert (state["status"], state["files_done"], state["files_total"], state["percent"]) == ("building", 4, 10, 25)
    assert state["download_url"] is None
    DossierPackage.objects.filter(pk=package.pk).update(status=PackageStatus.PENDING)
    package_build(package_id=package.pk)
    state = client.get(url).json()
    assert (state["status"], state["percent"]) == ("ready", 100)
    assert state["download_url"] == reverse("dossiers:package", kwargs={"slug": scenario.slug, "number": number})
    assert len(state["sha256"]) == 64


def test_the_dossier_page_shows_the_package_box_with_its_build_button(scenario, client):
    client.force_login(scenario.entrants[0])
    page = client.get(reverse("dossiers:version", kwargs={"slug": scenario.slug, "number": latest_number(scenario)}))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-testid="package"' in html
    assert 'data-testid="package-build"' in html
    assert reverse("dossiers:package", kwargs={"slug": scenario.slug, "number": latest_number(scenario)}) in html


def test_the_page_box_costs_one_query_and_shows_each_state(scenario, rf, django_assert_num_queries):
    dossier = dossier_view_for_version(scenario.versions[-1].pk)
    request = rf.get("/")
    request.user = scenario.owner
    with django_assert_num_queries(1):
        context = page_context(request, dossier)
    html = render_to_string("dossiers/_package.html", {**context, "dossier": dossier, "user": scenario.owner}, request)
    assert 'data-testid="package-build"' in html
    package = requested(scenario)
    DossierPackage.objects.filter(pk=package.pk).update(status=PackageStatus.FAILED, error="S3 was away")
    html = render_to_string(
        "dossiers/_package.html", {**page_context(request, dossier), "user": scenario.owner}, request
    )
    assert "S3 was away" in html
    assert 'data-testid="package-build"' in html
    DossierPackage.objects.filter(pk=package.pk).update(status=PackageStatus.PENDING)
    package_build(package_id=package.pk)
    html = render_to_string(
        "dossiers/_package.html", {**page_context(request, dossier), "user": scenario.owner}, request
    )
    ready = DossierPackage.objects.get(pk=package.pk)
    assert ready.sha256 in html
    assert 'data-testid="package-download"' in html
    assert 'data-testid="package-build"' not in html


@pytest.mark.worker
def test_a_real_worker_builds_the_requested_package(celery_worker_process):
    small = completed_challenge_with_dossier(phases=("concept",), entries_per_phase=1)
    package = requested(small)  # committed: the worker gets the task
    # The worker also renders the versions' stills (same queue); the package follows them.
    deadline = time.monotonic() + 300
    while package.status in (PackageStatus.PENDING, PackageStatus.BUILDING):
        assert time.monotonic() < deadline, f"still {package.status} ({package.files_done}/{package.files_total})"
        time.sleep(0.5)
        package.refresh_from_db()
    assert package.status == PackageStatus.READY, package.error
    assert package.attempts == 0
    archive = zip_of(package)
    folder = f"{small.slug}-v{latest_number(small)}"
    manifest = json.loads(archive.read(f"{folder}/manifest.json"))
    assert len(manifest["files"]) == package.files_total == len(small.entries[small.phases[0].pk]) * 3
    for line in manifest["files"]:
        assert hashlib.sha256(archive.read(f"{folder}/{line['path']}")).hexdigest() == line["sha256"]
