"""Countries show as their code in a badge named in the visitor's language, never as flag emoji (empty boxes on
many systems)."""

import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from core.tests.clients import as_member

pytestmark = pytest.mark.django_db

REGIONAL_INDICATORS = re.compile("[\U0001f1e6-\U0001f1ff]")


@pytest.fixture
def german_member(member: Any) -> Any:
    member.country = "DE"
    member.save(update_fields=["country"])
    return member


def test_a_profile_shows_the_country_code_badge_named_by_its_title(german_member: Any) -> None:
    html = Client().get(reverse("community:profile", args=[german_member.pk])).content.decode()

    assert '<abbr class="badge flag" title="Germany">DE</abbr>' in html
    assert not REGIONAL_INDICATORS.search(html)


def test_the_badge_names_the_country_in_german_for_german_visitors(german_member: Any) -> None:
    german_member.preferred_language = "de"
    german_member.save(update_fields=["preferred_language"])
    html = as_member(german_member).get(reverse("community:profile", args=[german_member.pk])).content.decode()

    assert '<abbr class="badge flag" title="Deutschland">DE</abbr>' in html


def test_the_member_directory_shows_badges_not_emoji(german_member: Any) -> None:
    html = Client().get(reverse("community:directory")).content.decode()

    assert '<abbr class="badge flag" title="Germany">DE</abbr>' in html
    assert not REGIONAL_INDICATORS.search(html)
