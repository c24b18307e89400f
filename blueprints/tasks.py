"""Celery tasks of the blueprints app: thin, idempotent, named."""
