from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from core.s3 import BUCKET_SETUP, bucket_ensure


class Command(BaseCommand):
    help = "Create the S3 bucket(s) the platform uses if they are missing, with what the apps need of them."

    def handle(self, *args: Any, **options: Any) -> None:
        created = bucket_ensure(bucket=settings.S3_BUCKET)
        state = "created" if created else "already there"
        self.stdout.write(f"Bucket {settings.S3_BUCKET!r}: {state}.")
        for what, step in BUCKET_SETUP:  # registered by the apps (core.s3.bucket_setup_register)
            self.stdout.write(f"{what}: {step()}")
