"""Celery tasks of the submissions app: thin, idempotent, named."""
