"""`make bench-pages` measures what the platform serves: its floor is a constant 200 through the whole
middleware stack, and every page and API it measures is a URL the platform has (a renamed URL would
otherwise only show up as an error in the next benchmark run). No server is started here."""

import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from urllib.parse import urlsplit

import pytest
from django.urls import resolve

ROOT = Path(__file__).resolve().parent.parent
SHOWCASE = {
    "challenge": {"pk": 11, "slug": "scale-showcase"},
    "phase": {"pk": 12, "kind": "concept"},
    "blueprint": {"pk": 13, "slug": "scale-showcase"},
    "member": {"pk": 14, "email": "scale-member@example.com"},
    "common_word": "chassis",
    "rare_word": "quokka",
    "challenge_word": "chassis",
}


def bench_pages() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_pages", ROOT / "scripts" / "bench_pages.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_pages"] = module  # dataclasses look their module up while the file runs
    spec.loader.exec_module(module)
    return module


@pytest.mark.django_db
def test_the_floor_is_a_small_constant_200_through_the_middleware(client, settings):
    settings.ROOT_URLCONF = "bench.pages.urls"

    response = client.get("/bench/floor/")

    assert response.status_code == 200
    assert response.content == b"floor\n"
    assert "Content-Security-Policy" in response.headers  # the whole stack ran


def test_every_measured_page_and_api_is_a_url_of_the_platform():
    targets = bench_pages().targets_for(SHOWCASE)

    for target in targets:
        match = resolve(urlsplit(target.path).path)  # Resolver404 for a URL the platform lacks
        assert match.func is not None, target
    assert len({t.key for t in targets}) == len(targets)
    anonymous = {t.name for t in targets if t.role == "anonymous"}
    assert {t.name for t in targets if t.role == "signed in"} - anonymous == {"notifications", "API notifications"}


def test_a_page_without_its_showcase_object_is_left_out_not_guessed():
    targets = bench_pages().targets_for({**SHOWCASE, "phase": None, "blueprint": None})

    names = {t.name for t in targets}
    assert "phase gallery" not in names
    assert "blueprint page" not in names
    assert "API revisions" not in names
    assert "challenge page" in names
