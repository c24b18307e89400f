"""Settings boot from the environment, with and without the optional variables."""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

PRINT_SETTINGS = (
    "import json, django; django.setup(); from django.conf import settings as s; "
    "print(json.dumps({'debug': s.DEBUG, 'db': s.DATABASES['default']['NAME'], "
    "'host': s.DATABASES['default']['HOST'], 'hosts': s.ALLOWED_HOSTS, 'bucket': s.S3_BUCKET, "
    "'endpoint': s.S3_ENDPOINT_URL, 'public_endpoint': s.S3_PUBLIC_ENDPOINT_URL, 'email': s.EMAIL_BACKEND, "
    "'email_host': s.EMAIL_HOST, 'tz': s.TIME_ZONE, 'redis': s.REDIS_URL, 'broker': s.CELERY_BROKER_URL, "
    "'acks_late': s.CELERY_TASK_ACKS_LATE, 'serializer': s.CELERY_TASK_SERIALIZER}))"
)


def boot_settings(env: dict[str, str]) -> dict[str, object]:
    base = {"PATH": "/usr/bin:/bin", "DJANGO_SETTINGS_MODULE": "config.settings"}
    result = subprocess.run(
        [sys.executable, "-c", PRINT_SETTINGS],
        cwd=ROOT,
        env={**base, **env},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_settings_boot_with_no_optional_variables_use_development_defaults():
    values = boot_settings({})

    assert values["debug"] is False
    assert values["db"] == "coachworks"
    assert values["host"] == "127.0.0.1"
    assert values["email"] == "django.core.mail.backends.console.EmailBackend"
    assert values["tz"] == "UTC"
    assert values["broker"] == values["redis"] == "redis://127.0.0.1:6379/0"
    assert values["public_endpoint"] == values["endpoint"]
    assert values["acks_late"] is True
    assert values["serializer"] == "json"


def test_settings_boot_from_every_documented_variable():
    values = boot_settings(
        {
            "DEBUG": "1",
            "DATABASE_URL": "postgres://app:secret@db.internal:5433/coachworks_prod",
            "REDIS_URL": "redis://cache.internal:6380/2",
            "ALLOWED_HOSTS": "coachworks.example,www.coachworks.example",
            "S3_ENDPOINT_URL": "http://minio:9000",
            "S3_PUBLIC_ENDPOINT_URL": "https://files.coachworks.example",
            "S3_BUCKET": "prod-media",
            "EMAIL_URL": "smtp://mailer:pw@smtp.example.com:587/?tls=True",
            "TIME_ZONE": "Europe/Berlin",
        }
    )

    assert values["debug"] is True
    assert values["db"] == "coachworks_prod"
    assert values["host"] == "db.internal"
    assert values["hosts"] == ["coachworks.example", "www.coachworks.example"]
    assert values["bucket"] == "prod-media"
    assert values["endpoint"] == "http://minio:9000"
    assert values["public_endpoint"] == "https://files.coachworks.example"
    assert values["email"] == "django.core.mail.backends.smtp.EmailBackend"
    assert values["email_host"] == "smtp.example.com"
    assert values["tz"] == "Europe/Berlin"
    assert values["broker"] == "redis://cache.internal:6380/2"


def test_database_on_a_unix_socket_is_understood():
    values = boot_settings({"DATABASE_URL": "postgres://postgres@/coachworks?host=/var/run/postgresql"})

    assert values["db"] == "coachworks"
