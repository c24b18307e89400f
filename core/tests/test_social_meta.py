"""A shared link to a challenge or blueprint previews: Open Graph and Twitter card tags with its title, summary,
picture (the cover or preview when there is one, else the site's icon) and canonical address."""

import html
import re
from typing import Any

import pytest
from django.conf import settings
from django.test import Client

from submissions.tests.factories import open_phase, published_blueprint
from tests.support import UserFactory

pytestmark = pytest.mark.django_db


def meta(page: str) -> dict[str, str]:
    tags = re.findall(r'<meta (?:property|name)="((?:og|twitter):[a-z_]+|description)" content="([^"]*)"', page)
    found = {key: html.unescape(value) for key, value in tags}
    canonical = re.search(r'<link rel="canonical" href="([^"]+)"', page)
    if canonical:
        found["canonical"] = canonical.group(1)
    return found


def test_a_challenge_page_previews_with_its_title_summary_and_canonical_url() -> None:
    client_user = UserFactory.create(email="client@example.com")
    staff = UserFactory.create(email="staff@example.com", is_staff=True)
    challenge = open_phase(client_user, staff, title="Desert ambulance").challenge

    tags = meta(Client().get(challenge.get_absolute_url()).content.decode())

    url = settings.SITE_URL.rstrip("/") + challenge.get_absolute_url()
    assert tags["og:title"] == tags["twitter:title"] == challenge.title
    assert tags["og:description"] == tags["description"] == challenge.summary[:200]
    assert tags["og:url"] == tags["canonical"] == url
    assert tags["og:type"] == "article"
    assert re.search(r"/static/icons/icon-512(\.[0-9a-f]+)?\.png$", tags["og:image"])  # no cover: the site's icon
    assert tags["twitter:card"] == "summary"


def test_a_blueprint_page_previews_with_its_cover_image(member: Any) -> None:
    blueprint = published_blueprint(member, title="Snow plough blade")
    blueprint.description = "A blade that folds.\n\nMade of **recycled** steel. " + "Long text. " * 40
    blueprint.cover_key = "previews/v1/" + "a" * 64 + ".png"
    blueprint.save(update_fields=["description", "cover_key"])

    tags = meta(Client().get(blueprint.get_absolute_url()).content.decode())

    assert tags["og:title"] == "Snow plough blade"
    assert tags["og:description"].startswith("A blade that folds. Made of **recycled** steel.")
    assert len(tags["og:description"]) <= 200
    assert tags["canonical"] == settings.SITE_URL.rstrip("/") + blueprint.get_absolute_url()
    assert tags["og:image"].startswith(("http://", "https://"))
    assert "previews/v1/" + "a" * 64 + ".png" in tags["og:image"]
    assert tags["twitter:image"] == tags["og:image"]
    assert tags["twitter:card"] == "summary_large_image"
