"""`make backup` / `make restore`: a backup restores into an empty database and bucket, row for row and
byte for byte, and a restore never writes over data that is there (issue 13, backups).

Runs `scripts/backup.py` as `make` does, in its own process, against this run's real PostgreSQL
and S3 server.
"""

import hashlib
import json
import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import psycopg
import pytest
from django.conf import settings
from django.db import connection

from blueprints import services as blueprint_services
from blueprints.models import FileStatus
from blueprints.tests import samples
from blueprints.tests.conftest import draft_of, send_like_a_browser
from challenges.tests.factories import add_phase, make_challenge
from conftest import ROOT, database_url_for_tests
from core.s3 import internal_client
from tests.support import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

TABLES = (
    "SELECT quote_ident(schemaname) || '.' || quote_ident(tablename) FROM pg_tables "
    "WHERE schemaname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1"
)


def run_backup_script(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "DATABASE_URL": database_url_for_tests(), **env}
    return subprocess.run(  # noqa: S603
        [sys.executable, "scripts/backup.py", *args], cwd=ROOT, env=environment, capture_output=True, text=True
    )


def row_counts(cursor: Any) -> dict[str, int]:
    cursor.execute(TABLES)
    tables = [row[0] for row in cursor.fetchall()]
    counts = {}
    for table in tables:
        cursor.execute(f"SELECT count(*) FROM {table}")  # noqa: S608 - quoted names from the catalogue
        counts[table] = cursor.fetchone()[0]
    return counts


def connect(database: str) -> psycopg.Connection[Any]:
    params = connection.settings_dict
    host = params.get("HOST") or params.get("OPTIONS", {}).get("host", "")
    return psycopg.connect(
        host=host, port=params.get("PORT") or None, user=params["USER"], password=params.get("PASSWORD") or None,
        dbname=database, autocommit=True,
    )  # fmt: skip


def bucket_checksums(bucket: str) -> dict[str, str]:
    client = internal_client()
    checksums = {}
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        for item in page.get("Contents", []):
            digest = hashlib.sha256()
            for chunk in client.get_object(Bucket=bucket, Key=item["Key"])["Body"].iter_chunks(1024 * 1024):
                digest.update(chunk)
            checksums[item["Key"]] = digest.hexdigest()
    return checksums


def empty_and_drop(bucket: str) -> None:
    client = internal_client()
    for key in bucket_checksums(bucket):
        client.delete_object(Bucket=bucket, Key=key)
    client.delete_bucket(Bucket=bucket)


@pytest.fixture
def some_data() -> None:
    """A few members, a challenge with a phase, a blueprint with a model and an image in S3."""
    owner, *_others = UserFactory.create_batch(3)
    add_phase(make_challenge(owner))
    blueprint = blueprint_services.blueprint_create(owner=owner, title="Roll cage")
    for name, data in (("cage.stl", samples.binary_stl()), ("sketch.png", samples.png())):
        file, ticket = blueprint_services.upload_start(
            revision=draft_of(blueprint), user=owner, name=name, size=len(data), content_type=""
        )
        send_like_a_browser(ticket.as_dict(), data)
        blueprint_services.upload_complete(file=file, user=owner, enqueue=False)
        processed = blueprint_services.file_process(file_id=file.pk)
        assert processed is not None
        assert processed.status == FileStatus.READY


def test_a_backup_restores_into_an_empty_database_and_bucket(some_data, tmp_path):
    backup_dir = tmp_path / "backup"
    made = run_backup_script("backup", "--to", str(backup_dir))
    assert made.returncode == 0, made.stderr
    manifest = json.loads((backup_dir / "manifest.json").read_text())
    with connection.cursor() as cursor:
        source_counts = row_counts(cursor)
    source_objects = bucket_checksums(settings.S3_BUCKET)
    assert manifest["database"]["tables"] == source_counts
    assert source_counts["public.community_user"] == 3
    assert {item["key"]: item["sha256"] for item in manifest["bucket"]["objects"]} == source_objects
    assert any(key.startswith("blobs/") for key in source_objects)

    database = f"{connection.settings_dict['NAME']}_restored_{uuid.uuid4().hex[:6]}"
    bucket = f"{settings.S3_BUCKET}-restored-{uuid.uuid4().hex[:6]}"
    restored_url = database_url_for_tests().replace(f"/{connection.settings_dict['NAME']}", f"/{database}", 1)
    try:
        restored = run_backup_script("restore", str(backup_dir), DATABASE_URL=restored_url, S3_BUCKET=bucket)
        assert restored.returncode == 0, restored.stderr
        assert "verified" in restored.stdout

        with connect(database) as restored_db, restored_db.cursor() as cursor:
            assert row_counts(cursor) == source_counts
        assert bucket_checksums(bucket) == source_objects
    finally:
        with connect("postgres") as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        empty_and_drop(bucket)


def test_a_restore_refuses_a_database_that_is_not_empty(some_data, tmp_path):
    """A restore pointed at live data by mistake changes nothing."""
    backup_dir = tmp_path / "backup"
    assert run_backup_script("backup", "--to", str(backup_dir)).returncode == 0
    with connection.cursor() as cursor:
        before = row_counts(cursor)

    refused = run_backup_script("restore", str(backup_dir))

    assert refused.returncode == 1
    assert "is not empty" in refused.stderr
    with connection.cursor() as cursor:
        assert row_counts(cursor) == before


def test_a_restore_notices_a_damaged_backup(some_data, tmp_path):
    backup_dir = tmp_path / "backup"
    assert run_backup_script("backup", "--to", str(backup_dir)).returncode == 0
    dump = backup_dir / "database.dump"
    dump.write_bytes(dump.read_bytes()[:-100] + bytes(100))

    refused = run_backup_script("restore", str(backup_dir), DATABASE_URL="postgres://nobody@127.0.0.1:1/none")

    assert refused.returncode == 1
    assert "does not match the checksum" in refused.stderr
    assert Path(dump).exists()
