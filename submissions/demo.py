"""Demo entries for `make run`: Ada enters her concept sketch and Jonas his fork of it (so a prize
to Jonas would credit Ada) in the demo challenge's concept phase. Made through the services, as
members would; idempotent: a member who already entered the phase is left alone."""

from typing import TextIO

from blueprints.models import Blueprint
from challenges.models import Phase, PhaseKind, PhaseStatus
from community.demo import demo_user
from core.exceptions import ApplicationError
from submissions import services
from submissions.models import Entry

ENTRIES = (
    (0, "sahel-ambulance-concept", "High-roof courier", "A tall box for standing room; the chilled locker sits low."),
    (1, "sahel-ambulance-lower-roof", "Low-roof courier", "Ada's concept with a lower roof for village garages."),
)


def load(out: TextIO) -> None:
    phase = (
        Phase.objects.filter(challenge__title="Alpine delivery van", kind=PhaseKind.CONCEPT, status=PhaseStatus.OPEN)
        .select_related("challenge")
        .first()
    )
    if phase is None:
        out.write("Demo entries: no open demo concept phase, none added\n")
        return
    for index, slug, title, statement in ENTRIES:
        member = demo_user("member", index)
        blueprint = Blueprint.objects.filter(slug=slug, owner=member).select_related("latest_revision").first()
        if blueprint is None or blueprint.latest_revision is None:
            continue
        if Entry.objects.filter(phase=phase, lead_author=member).exists():
            continue
        try:
            services.entry_create(
                phase=phase,
                user=member,
                revision=blueprint.latest_revision,
                title=title,
                statement=statement,
                co_authors=[],
            )
        except ApplicationError as error:
            out.write(f"Demo entry “{title}” not added: {error.message}\n")
    count = Entry.objects.filter(phase=phase).count()
    out.write(f"Demo entries: {count} in {phase.challenge.title} / {phase.title}\n")
