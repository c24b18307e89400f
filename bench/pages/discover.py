"""What `make bench-pages` measures in one database: the showcase objects `make seed-scale` made, by the
ids and words it wrote to `var/scale/<database>.json`, else found in the database itself.

Run inside Django with the bench's settings (`python -m bench.pages.discover --json PATH --member EMAIL`);
prints one JSON object. Read defensively: on a database without the showcase objects (the demo data,
a hand-made one) it falls back to the busiest objects it can find and says so in `fallbacks`.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

SHOWCASE_SLUG = "scale-showcase"
COMMON_WORD = "chassis"


def _find(data: Any, *needles: str) -> Any:
    """The first value (depth first) under a key containing every needle, e.g. ("rare", "word")."""
    if isinstance(data, dict):
        for key, value in data.items():
            if all(needle in str(key).lower() for needle in needles) and not isinstance(value, dict | list):
                return value
        for value in data.values():
            found = _find(value, *needles)
            if found is not None:
                return found
    elif isinstance(data, list):
        for value in data:
            found = _find(value, *needles)
            if found is not None:
                return found
    return None


def _word(value: Any) -> str | None:
    return value if isinstance(value, str) and value.strip() and " " not in value.strip() else None


def discover(scale: dict[str, Any], member_email: str) -> dict[str, Any]:
    from django.db.models import Count

    from blueprints.models import Blueprint
    from challenges.models import Challenge, ChallengeStatus, Phase, PhaseKind
    from community.models import User

    fallbacks: list[str] = []
    challenge = Challenge.objects.filter(slug=SHOWCASE_SLUG).first()
    if challenge is None:
        challenge = Challenge.objects.exclude(status=ChallengeStatus.DRAFT).order_by("-pk").first()
        fallbacks.append(f"no challenge {SHOWCASE_SLUG!r}: using {challenge.slug if challenge else None!r}")
    phase = None
    if challenge is not None:
        phase_id = _find(scale, "concept", "phase") or _find(scale, "phase", "id")
        phase = Phase.objects.filter(challenge=challenge, pk=phase_id).first() if isinstance(phase_id, int) else None
        phase = phase or Phase.objects.filter(challenge=challenge, kind=PhaseKind.CONCEPT).order_by("position").first()
        phase = phase or Phase.objects.filter(challenge=challenge).order_by("position").first()
    blueprint = Blueprint.objects.filter(slug=SHOWCASE_SLUG).first()
    if blueprint is None:
        blueprint = (
            Blueprint.objects.filter(is_hidden=False, last_published_at__isnull=False)
            .annotate(revision_count=Count("revisions"))
            .order_by("-revision_count", "pk")
            .first()
        )
        fallbacks.append(f"no blueprint {SHOWCASE_SLUG!r}: using {blueprint.slug if blueprint else None!r}")
    member = User.objects.filter(email__iexact=member_email).first()
    if member is None:
        fallbacks.append(f"no member {member_email!r}")
    common = _word(_find(scale, "common", "word")) or COMMON_WORD
    rare = _word(_find(scale, "rare", "word")) or _word(_find(scale, "rare"))
    if rare is None:
        try:  # the vocabulary `make seed-scale` writes blueprints with
            from core.scale import RARE_WORDS

            rare = str(RARE_WORDS[0])
        except (ImportError, AttributeError, IndexError):
            words = sorted((blueprint.title.split() if blueprint else []), key=len, reverse=True)
            rare = words[0].lower() if words else "zyxwvut"
            fallbacks.append(f"no rare word in the scale file: using {rare!r}")
    return {
        "challenge": {"pk": challenge.pk, "slug": challenge.slug} if challenge else None,
        "phase": {"pk": phase.pk, "kind": phase.kind} if phase else None,
        "blueprint": {"pk": blueprint.pk, "slug": blueprint.slug} if blueprint else None,
        "member": {"pk": member.pk, "email": member.email} if member else None,
        "common_word": common,
        "rare_word": rare,
        "challenge_word": _word(_find(scale, "challenge", "word")) or common,
        "members": User.objects.count(),
        "fallbacks": fallbacks,
    }


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--json", type=Path, help="var/scale/<database>.json of make seed-scale, if any")
    parser.add_argument("--member", required=True, help="the signed-in member's e-mail")
    args = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.pages.settings")
    import django

    django.setup()
    scale: dict[str, Any] = {}
    if args.json and args.json.is_file():
        try:
            scale = json.loads(args.json.read_text())
        except ValueError:
            scale = {}
    print(json.dumps(discover(scale, args.member)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
