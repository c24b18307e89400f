import os

from celery import Celery

from core.celery_liveness import install as install_liveness_file

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("coachworks")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# `celery worker --liveness-file PATH`: what the Kubernetes probes of workers read (core.celery_liveness).
install_liveness_file(app)
