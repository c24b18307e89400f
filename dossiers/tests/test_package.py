"""The package of a dossier version: a reproducible zip streamed by a worker from S3 into S3.

The first tests build `DossierView`s by hand over objects put into the run's bucket, and stream
them into real multipart uploads; the later ones go through the page, the task and a real worker.
"""

import hashlib
import io
import json
import os
import zipfile
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.conf import settings

from blueprints import storage
from core.s3 import internal_client
from dossiers.packaging import (
    MultipartUploadWriter,
    PackageError,
    package_entries,
    part_size_for,
    zip_write,
)
from dossiers.snapshot import DossierPartView, DossierView, PartFile, PersonCredit, PhaseSection, Placement

MiB = 1024**2
# Stand-ins for helper B's and C's documents in the tests that build a zip by hand (the task uses the real ones).
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
