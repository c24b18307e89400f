"""The dossier page and API: what they show, who sees them, and a query count that does not grow with files."""

import pytest
from django.urls import reverse

from dossiers.tests.factories import completed_challenge_with_dossier

pytestmark = pytest.mark.django_db


def test_the_page_shows_every_phase_in_graph_order_with_its_winners(client):
    scenario = completed_challenge_with_dossier()

    response = client.get(reverse("dossiers:page", kwargs={"slug": scenario.slug}))

    assert response.status_code == 200
    body = response.content.decode()
    assert 'data-version="5"' in body
    assert body.count('data-testid="dossier-part"') == 8
