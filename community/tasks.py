"""Celery tasks of the community app: thin, idempotent, named."""
