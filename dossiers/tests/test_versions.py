"""A dossier version on every award and on completion: pinned parts, idempotent, placements carried over."""

import pytest

from dossiers.models import DossierPart
from dossiers.selectors import dossier_view
from dossiers.tests.factories import completed_challenge_with_dossier

pytestmark = pytest.mark.django_db


def test_a_completed_challenge_has_a_version_per_award_and_one_for_completion():
    scenario = completed_challenge_with_dossier()

    assert [version.number for version in scenario.versions] == [1, 2, 3, 4, 5]
    assert [version.is_complete for version in scenario.versions] == [False, False, False, False, True]
    view = dossier_view(user=None, slug=scenario.slug)
    assert view.number == 5
    assert view.is_complete
    assert len(view.parts) == 8
    assert DossierPart.objects.filter(version=scenario.versions[0]).count() == 2
