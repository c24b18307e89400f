"""Celery tasks of the payments app: thin, idempotent, named."""
