"""`make bench-pages`: every read page and list API under load, against a constant-response floor.

The runner is `scripts/bench_pages.py`; this package holds what the server it starts needs (the
settings module with the floor view) and what runs inside Django (`discover`). See README.md.
"""
