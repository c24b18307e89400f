"""`make run` and `make test` use only servers they started (issue 13, finding 9).

The development services start on preferred ports. If another program takes such a port between
the check and the bind, the start must fail with a clear error, never hand out the other program's
address (with credentials that other copies of the project share) while `/healthz` says all is well.
These tests need no database: they start real SeaweedFS and Redis processes of their own.
"""

import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import psutil
import pytest
from botocore.exceptions import ClientError

from devtools import devservices


class FakeS3(BaseHTTPRequestHandler):
    """Answers every request like an S3 server that checks nothing: 200 and an empty bucket list."""

    requests: list[str] = []

    def _answer(self) -> None:
        FakeS3.requests.append(f"{self.command} {self.path} {self.headers.get('Authorization', '')[:40]}")
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        body = (
            b'<?xml version="1.0"?><ListAllMyBucketsResult><Owner><ID>x</ID></Owner><Buckets/></ListAllMyBucketsResult>'
        )
        self.send_response(200)
        self.send_header("Content-Type", "application/xml")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_PUT = do_POST = do_HEAD = do_DELETE = _answer

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def impostor_s3() -> Iterator[int]:
    """A fake S3 server holding a port; yields the port."""
    FakeS3.requests = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeS3)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield int(server.server_address[1])
    server.shutdown()
    server.server_close()


def our_weed_processes() -> list[psutil.Process]:
    return [child for child in psutil.Process().children(recursive=True) if child.name() == "weed"]


def test_seaweedfs_refuses_a_preferred_port_taken_by_an_impostor(impostor_s3, tmp_path):
    """Attack: a fake S3 takes the preferred port after the check; the start must not adopt it."""
    before = our_weed_processes()

    with pytest.raises(devservices.ImpostorError, match=f"another program is listening on the S3 port {impostor_s3}"):
        devservices.start_seaweedfs(tmp_path / "s3", tmp_path / "s3.log", s3_port=impostor_s3)

    assert our_weed_processes() == before  # the SeaweedFS it started was stopped again
    assert not [request for request in FakeS3.requests if "Credential=" in request]  # no secret was sent to it


def test_an_s3_server_that_accepts_any_signature_is_not_ours(impostor_s3):
    """Even where `/proc` cannot tell who holds a port, the credential and marker checks refuse a fake."""
    with pytest.raises(devservices.ImpostorError, match="accepts requests signed with a wrong secret"):
        devservices.verify_s3_is_ours(f"http://127.0.0.1:{impostor_s3}", "cw-key", "cw-secret")


def test_each_start_has_its_own_s3_credentials_and_old_ones_stop_working(tmp_path):
    """The data directory is kept between `make run`s; the credentials of an earlier run are refused."""
    data = tmp_path / "s3"
    first = devservices.start_seaweedfs(data, tmp_path / "s3.log")
    first.stop()
    second = devservices.start_seaweedfs(data, tmp_path / "s3.log")
    try:
        endpoint = second.env["S3_ENDPOINT_URL"]
        assert second.process is not None
        assert devservices.port_holder(int(endpoint.rsplit(":", 1)[1]), second.process.pid) == "ours"
        assert second.env["S3_ACCESS_KEY_ID"] != first.env["S3_ACCESS_KEY_ID"]
        assert "coachworks" not in {second.env["S3_ACCESS_KEY_ID"], second.env["S3_SECRET_ACCESS_KEY"]}
        assert (data / "s3.json").stat().st_mode & 0o077 == 0  # only we can read the secret

        devservices.s3_client(
            endpoint, second.env["S3_ACCESS_KEY_ID"], second.env["S3_SECRET_ACCESS_KEY"]
        ).list_buckets()
        for old in [
            (first.env["S3_ACCESS_KEY_ID"], first.env["S3_SECRET_ACCESS_KEY"]),
            ("coachworks", "coachworks-secret"),
        ]:
            with pytest.raises(ClientError) as refused:
                devservices.s3_client(endpoint, *old).list_buckets()
            assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    finally:
        second.stop()


def test_redis_refuses_a_port_taken_by_another_program(tmp_path):
    """Attack: another program listens on the port Redis was to use; the start fails, no URL is handed out."""
    with socket.socket() as other:
        other.bind(("127.0.0.1", 0))
        other.listen()
        port = other.getsockname()[1]

        with pytest.raises(devservices.ServiceError):
            devservices.start_redis(tmp_path / "redis", tmp_path / "redis.log", persist=False, port=port)


def test_redis_gets_a_fresh_password(tmp_path):
    import redis

    service = devservices.start_redis(tmp_path / "redis", tmp_path / "redis.log", persist=False)
    try:
        url = service.env["REDIS_URL"]
        assert redis.Redis.from_url(url).ping()
        with pytest.raises(redis.AuthenticationError):
            redis.Redis.from_url(url.replace(url.split("@")[0], "redis://")).ping()
        assert Path(tmp_path / "redis" / "redis.conf").stat().st_mode & 0o077 == 0
    finally:
        service.stop()
