from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from core.s3 import bucket_ensure


class Command(BaseCommand):
    help = "Create the S3 bucket(s) the platform uses if they are missing."

    def handle(self, *args: Any, **options: Any) -> None:
        created = bucket_ensure(bucket=settings.S3_BUCKET)
        state = "created" if created else "already there"
        self.stdout.write(f"Bucket {settings.S3_BUCKET!r}: {state}.")
        # Browsers upload straight to the bucket (blueprints): allow the site's origins.
        from blueprints.storage import upload_cors_ensure

        cors = "set" if upload_cors_ensure() else "not supported by this store (it allows all origins)"
        self.stdout.write(f"Upload CORS rules: {cors}.")
