"""Media goes to the real S3 server through Django's default storage."""

import requests
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage


def test_default_storage_round_trip_and_presigned_url_fetched_over_http(s3_bucket):
    name = default_storage.save("tests/round-trip.txt", ContentFile(b"coachworks blueprint bytes"))
    try:
        assert default_storage.exists(name)
        with default_storage.open(name) as stored:
            assert stored.read() == b"coachworks blueprint bytes"

        response = requests.get(default_storage.url(name), timeout=10)

        assert response.status_code == 200
        assert response.content == b"coachworks blueprint bytes"
    finally:
        default_storage.delete(name)
    assert not default_storage.exists(name)


def test_storage_never_overwrites_an_existing_key(s3_bucket):
    first = default_storage.save("tests/same-name.txt", ContentFile(b"first"))
    second = default_storage.save("tests/same-name.txt", ContentFile(b"second"))
    try:
        assert first != second
        with default_storage.open(first) as stored:
            assert stored.read() == b"first"
    finally:
        default_storage.delete(first)
        default_storage.delete(second)


def test_unsigned_and_tampered_urls_are_refused(s3_bucket):
    name = default_storage.save("tests/private.txt", ContentFile(b"secret"))
    try:
        signed = default_storage.url(name)
        unsigned = signed.split("?", 1)[0]
        tampered = signed.replace("X-Amz-Signature=", "X-Amz-Signature=0")

        assert requests.get(unsigned, timeout=10).status_code == 403
        assert requests.get(tampered, timeout=10).status_code == 403
    finally:
        default_storage.delete(name)
