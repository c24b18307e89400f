"""The demo data holds a completed challenge whose dossier shows an assembled vehicle, loaded once."""

import io
from io import StringIO

import pytest
from django.core.management import call_command
from PIL import Image

from blueprints import storage
from challenges.models import Challenge, ChallengeStatus
from dossiers.assembly import STILL_SIZE
from dossiers.demo import PARTS, TITLE
from dossiers.models import DossierVersion, PartPlacement
from dossiers.selectors import dossier_view
from payments.models import Payout, PayoutStatus
from submissions.models import Entry

pytestmark = pytest.mark.django_db


def snapshot() -> list[object]:
    return [
        list(Challenge.objects.order_by("pk").values_list("title", "status")),
        list(Entry.objects.order_by("pk").values_list("title", "status")),
        list(DossierVersion.objects.order_by("pk").values_list("number", "is_complete", "still_key")),
        list(Payout.objects.order_by("pk").values_list("amount", "status")),
    ]


def test_the_demo_dossier_is_complete_with_a_still_and_loads_once():
    out = StringIO()
    call_command("load_demo_data", stdout=out)
    first = snapshot()
    call_command("load_demo_data", stdout=StringIO())

    assert snapshot() == first
    challenge = Challenge.objects.get(title=TITLE)
    assert challenge.status == ChallengeStatus.COMPLETED
    assert f"{challenge.get_absolute_url()}dossier/" in out.getvalue()
    view = dossier_view(user=None, slug=challenge.slug)
    assert view.is_complete
    assert [section.kind for section in view.phases] == [part.kind for part in PARTS]
    assert all(len(section.parts) == 1 for section in view.phases)
    assert all(any(file.is_mesh for file in part.files) for part in view.parts)
    assert all(part.bom for part in view.parts)
    assert not PartPlacement.objects.exists(), "the demo shows the default layout"
    assert [version.number for version in view.versions] == list(range(1, len(PARTS) + 2))
    assert view.still_key.startswith(f"dossiers/stills/{view.version_id}/")
    still = Image.open(io.BytesIO(b"".join(storage.object_chunks(view.still_key))))
    assert still.size == STILL_SIZE

    concept, front = view.parts[0], view.parts[1]
    assert [ancestor.owner_name for ancestor in concept.upstream] == ["Ada Okafor"], "a fork of Ada's sketch"
    assert {(author.name, author.is_lead) for author in front.authors} == {("Ada Okafor", True), ("Jonas Berg", False)}
    assert {share.kind for share in concept.shares} == {"author", "lineage"}
    payouts = Payout.objects.filter(challenge=challenge)
    assert payouts.exists()
    assert set(payouts.values_list("status", flat=True)) == {PayoutStatus.PAID}
