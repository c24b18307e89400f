"""The favicon and app icons: every browser finds them, none asks in vain."""

import json
import re

import pytest
from django.contrib.staticfiles import finders
from django.test import Client

pytestmark = pytest.mark.django_db


def test_favicon_ico_at_the_root_is_an_icon_not_a_404() -> None:
    response = Client().get("/favicon.ico")

    assert response.status_code == 200
    assert response["Content-Type"] == "image/x-icon"
    assert response.content[:4] == b"\x00\x00\x01\x00"  # the ICO header


def test_every_page_links_the_svg_favicon_png_fallbacks_touch_icon_and_manifest() -> None:
    html = Client().get("/").content.decode()

    links = dict(re.findall(r'<link rel="([a-z-]+)" href="([^"]+)"', html))
    for rel in ("icon", "apple-touch-icon", "manifest"):
        assert rel in links, rel
    assert 'type="image/svg+xml"' in html
    assert 'sizes="32x32"' in html
    assert '<meta name="theme-color"' in html


def test_the_web_manifest_names_icons_that_exist() -> None:
    path = finders.find("icons/site.webmanifest")
    assert path
    with open(path) as manifest_file:
        manifest = json.load(manifest_file)

    assert manifest["name"] == "Coachworks"
    sizes = {icon["sizes"] for icon in manifest["icons"]}
    assert {"192x192", "512x512"} <= sizes
    for icon in manifest["icons"]:
        assert finders.find(f"icons/{icon['src']}"), icon["src"]


def test_the_linked_icon_files_are_served() -> None:
    html = Client().get("/").content.decode()
    client = Client()
    for href in re.findall(r'<link rel="(?:icon|apple-touch-icon|manifest)" href="([^"]+)"', html):
        response = client.get(href)
        assert response.status_code == 200, href
