"""Development tooling, not part of the running platform: the embedded PostgreSQL, Redis and S3 servers
that `make run` (scripts/run.py), `make test` (scripts/test.py), the benchmarks and some tests start.

No app imports it (pyproject.toml [tool.importlinter]); it imports no Django and nothing of the apps.
"""
