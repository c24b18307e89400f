"""Celery tasks of the challenges app: thin, idempotent, named."""
