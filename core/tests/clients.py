from typing import Any

from django.test import Client


def as_member(user: Any) -> Client:
    """A test client signed in as `user` (a session, as a browser has)."""
    client = Client()
    client.force_login(user)
    return client
