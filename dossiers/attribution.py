"""Credits and licences of a dossier: the NOTICE.md of its package and the licence warnings of its page.

Everything here reads a `DossierView` and makes no query: the page calls `page_context`, the package
builder calls `notice_markdown` (always in English, so one version always gives the same bytes).

How the licences of the parts combine (`licence_conflicts`)
-----------------------------------------------------------
A dossier puts parts under different licences side by side; each part keeps its own licence. The
question is what follows for whoever publishes the assembly (the vehicle) as one adapted work, and for
whoever builds the hardware. The rules, for the six licences the platform offers:

* Which licences a work that adapts a part may carry (`ADAPTABLE_UNDER`):
  CC0 1.0 - any; CC BY 4.0 - any licence that keeps its credit (all but CC0); CERN-OHL-P-2.0 - likewise
  (it asks only that its notices be kept); CC BY-SA 4.0 - only CC BY-SA 4.0 (the compatible licences
  Creative Commons lists are not offered here); CERN-OHL-S-2.0 - only itself; CERN-OHL-W-2.0 - itself
  or CERN-OHL-S-2.0 (its "Compatible Licence", section 1.2). This is wider than `FORK_LICENCES`, which
  is what the platform lets a fork choose (staying within the licence family), not what the licences
  themselves allow.
* Conflict, `incompatible_reciprocal`: two licences in the dossier with no licence in common in that
  table. With these six that happens exactly for CC BY-SA 4.0 together with CERN-OHL-S-2.0 or with
  CERN-OHL-W-2.0: each insists that its part (and, for BY-SA and OHL-S, the adapted whole) stays under
  itself. The assembly as a whole then cannot be released under one licence: each part keeps its own
  licence and must be distributed under it. (Any two licences with something in common here always
  leave one licence for all of them, so the pairs tell the whole story.)
* Notice, `reciprocal_governs`: no conflict, and a licence whose reciprocity reaches the whole adapted
  work (CC BY-SA 4.0, or CERN-OHL-S-2.0 for the complete source of a product) sits beside other
  licences: the assembly, if published as one adapted work, must be under that licence; the other
  parts may be included in it (their licences allow it) and keep their credits. CERN-OHL-W-2.0 parts
  beside CERN-OHL-S-2.0 are then conveyed under CERN-OHL-S-2.0.
* Notice, `weak_reciprocal`: CERN-OHL-W-2.0 beside other licences without a licence that reaches the
  whole: the CERN-OHL-W parts and the changes made to them stay under CERN-OHL-W-2.0 (with their
  sources made available); the rest of the assembly, using them through their interfaces, may be under
  other terms.
* Notice, `documents_and_hardware`: Creative Commons licences are made for documents and media; mixed
  with the CERN open-hardware licences, the CC licences cover the drawings and files of their parts but
  say nothing about hardware built from them, while the CERN-OHL licences cover the designs and the
  products: with CERN-OHL-S-2.0 present it governs the hardware of the whole vehicle (its complete
  source); otherwise each CERN-OHL licence governs the hardware built from its own parts.
* Conflict, `upstream_reciprocal`: a part's blueprint adapts an upstream blueprint (any generation)
  under a reciprocal licence (CC BY-SA 4.0, CERN-OHL-S-2.0, CERN-OHL-W-2.0) while the part carries a
  licence that one does not allow for adaptations (`FORK_LICENCES`; the platform prevents it for new
  forks, older data may still hold it). The part must then be treated as under the upstream licence.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from blueprints.licences import FORK_LICENCES, LICENCE_SUMMARIES, LICENCE_URLS, Licence
from dossiers.snapshot import DossierPartView, DossierView, UpstreamCredit

L = Licence
ALL_LICENCES = frozenset(Licence.values)

# What a work that adapts (includes and builds on) a part under the key may be licensed under.
ADAPTABLE_UNDER: dict[str, frozenset[str]] = {
    L.CC0_1: ALL_LICENCES,
    L.CC_BY_4: ALL_LICENCES - {L.CC0_1},
    L.CERN_OHL_P_2: ALL_LICENCES - {L.CC0_1},
    L.CC_BY_SA_4: frozenset({L.CC_BY_SA_4}),
    L.CERN_OHL_S_2: frozenset({L.CERN_OHL_S_2}),
    L.CERN_OHL_W_2: frozenset({L.CERN_OHL_W_2, L.CERN_OHL_S_2}),
}
# Reciprocal licences, and those of them whose reciprocity reaches the whole adapted work.
RECIPROCAL = frozenset({L.CC_BY_SA_4, L.CERN_OHL_S_2, L.CERN_OHL_W_2})
WHOLE_WORK_RECIPROCAL = (L.CC_BY_SA_4, L.CERN_OHL_S_2)
CREATIVE_COMMONS = frozenset({L.CC_BY_SA_4, L.CC_BY_4, L.CC0_1})
LICENCE_ORDER = tuple(Licence.values)
URLS: dict[str, str] = {str(code): url for code, url in LICENCE_URLS.items()}
SUMMARIES: dict[str, Promise] = {str(code): summary for code, summary in LICENCE_SUMMARIES.items()}

LICENCE_REQUIREMENTS: dict[str, Promise] = {
    L.CC_BY_SA_4: gettext_lazy(
        "Credit the authors, link the licence and say what you changed. Adaptations must be shared under "
        "CC BY-SA 4.0 (share-alike)."
    ),
    L.CC_BY_4: gettext_lazy("Credit the authors, link the licence and say what you changed."),
    L.CC0_1: gettext_lazy("No conditions: dedicated to the public domain. Credit is welcome, not required."),
    L.CERN_OHL_S_2: gettext_lazy(
        "Keep the copyright and licence notices and mark your changes. Whoever conveys the design or hardware "
        "made from it must make the complete source of the product (the designs of all its parts except "
        "available components) available under CERN-OHL-S-2.0 (strongly reciprocal)."
    ),
    L.CERN_OHL_W_2: gettext_lazy(
        "Keep the copyright and licence notices and mark your changes. Whoever conveys the design or hardware "
        "made from it must make the source of this design, with any changes, available under CERN-OHL-W-2.0; "
        "other parts of the product may be under other terms (weakly reciprocal)."
    ),
    L.CERN_OHL_P_2: gettext_lazy(
        "Keep the copyright and licence notices. No obligation to share sources (permissive)."
    ),
}


class Severity(StrEnum):
    CONFLICT = "conflict"
    NOTICE = "notice"


@dataclass(frozen=True, slots=True)
class LicenceConflict:
    """One consequence of combining the parts' licences: a conflict to resolve or a notice to heed."""

    severity: Severity
    code: str  # incompatible_reciprocal, reciprocal_governs, weak_reciprocal, documents_and_hardware, ...
    licences: tuple[str, ...]  # licence codes, in `Licence` order (upstream first for upstream_reciprocal)
    part_ids: tuple[int, ...]  # the parts concerned, in dossier order
    message: str  # what follows, in the active language


@dataclass(frozen=True, slots=True)
class LicenceUse:
    """A licence the dossier contains, with what it requires and the parts under it."""

    code: str
    name: str
    url: str
    summary: str
    requirements: str
    parts: tuple[DossierPartView, ...]


@dataclass(frozen=True, slots=True)
class Credits:
    """What the credits section of the dossier page shows."""

    dossier: DossierView
    licences: tuple[LicenceUse, ...]
    conflicts: tuple[LicenceConflict, ...]
    notices: tuple[LicenceConflict, ...]


def licence_name(code: str) -> str:
    return str(dict(Licence.choices).get(code, code))


def _licence_url(code: str) -> str:
    return URLS.get(code, "")


def _names(codes: Iterable[str]) -> str:
    return ", ".join(licence_name(code) for code in codes)


def _ordered(codes: Iterable[str]) -> tuple[str, ...]:
    present = set(codes)
    known = tuple(code for code in LICENCE_ORDER if code in present)
    return known + tuple(sorted(present - set(known)))


def _part_label(part: DossierPartView) -> str:
    return f"{part.blueprint_title} r{part.revision_number}"


def revision_url(part: DossierPartView) -> str:
    """The page of the part's pinned revision (relative to the site)."""
    return reverse("blueprints:revision", kwargs={"slug": part.blueprint_slug, "number": part.revision_number})


def licence_conflicts(dossier: DossierView) -> list[LicenceConflict]:
    """What combining the parts' licences means: conflicts first, then notices (rules in the module docstring).

    Licence codes the platform does not know (very old data) are left out of the combination rules.
    """
    parts = dossier.parts
    by_licence: dict[str, list[int]] = {}
    for part in parts:
        by_licence.setdefault(part.licence, []).append(part.part_id)
    present = [code for code in _ordered(by_licence) if code in ADAPTABLE_UNDER]

    def concerned(*codes: str) -> tuple[int, ...]:
        wanted = set(codes)
        return tuple(part.part_id for part in parts if part.licence in wanted)

    conflicts: list[LicenceConflict] = []
    notices: list[LicenceConflict] = []
    for index, first in enumerate(present):
        for second in present[index + 1 :]:
            if ADAPTABLE_UNDER[first] & ADAPTABLE_UNDER[second]:
                continue
            message = _(
                "%(first)s and %(second)s are both reciprocal and neither lets its parts be distributed under "
                "the other: the assembly as a whole cannot be released under one licence. Each part keeps its "
                "own licence and must be distributed under it."
            ) % {"first": licence_name(first), "second": licence_name(second)}
            conflicts.append(
                LicenceConflict(
                    Severity.CONFLICT, "incompatible_reciprocal", (first, second), concerned(first, second), message
                )
            )

    for part in parts:
        for upstream in part.upstream:
            conflict = _upstream_conflict(part, upstream)
            if conflict is not None:
                conflicts.append(conflict)

    if not any(conflict.code == "incompatible_reciprocal" for conflict in conflicts) and len(present) > 1:
        governing = next((code for code in WHOLE_WORK_RECIPROCAL if code in present), None)
        if governing is not None:
            others = [code for code in present if code != governing]
            message = _(
                "The assembly, if published as one adapted work, must be under %(licence)s: it is share-alike "
                "(reciprocal), and the licences of the other parts (%(others)s) allow their parts to be included "
                "in it, with their credits kept."
            ) % {"licence": licence_name(governing), "others": _names(others)}
            notices.append(
                LicenceConflict(Severity.NOTICE, "reciprocal_governs", tuple(present), concerned(*present), message)
            )
        elif L.CERN_OHL_W_2 in present:
            message = _(
                "The parts under %(licence)s and any changes made to them stay under %(licence)s, with their "
                "sources made available to whoever receives hardware made from them; the rest of the assembly, "
                "using them through their interfaces, may keep other terms."
            ) % {"licence": licence_name(L.CERN_OHL_W_2)}
            notices.append(
                LicenceConflict(Severity.NOTICE, "weak_reciprocal", tuple(present), concerned(L.CERN_OHL_W_2), message)
            )

    documents = [code for code in present if code in CREATIVE_COMMONS]
    hardware = [code for code in present if code not in CREATIVE_COMMONS]
    if documents and hardware:
        lead = _(
            "Creative Commons licences (%(documents)s) are made for documents and media: for the parts under "
            "them they cover the drawings and files, and say nothing about hardware built from them. The CERN "
            "open-hardware licences (%(hardware)s) cover both the designs and the hardware."
        ) % {"documents": _names(documents), "hardware": _names(hardware)}
        if L.CERN_OHL_S_2 in hardware:
            follows = _(
                "%(licence)s governs the hardware of the vehicle: whoever makes and conveys it must make its "
                "complete source available under %(licence)s."
            ) % {"licence": licence_name(L.CERN_OHL_S_2)}
        else:
            follows = _("Each of them governs the hardware built from the parts under it.")
        notices.append(
            LicenceConflict(
                Severity.NOTICE, "documents_and_hardware", tuple(present), concerned(*present), f"{lead} {follows}"
            )
        )
    return conflicts + notices


def _upstream_conflict(part: DossierPartView, upstream: UpstreamCredit) -> LicenceConflict | None:
    if upstream.licence not in RECIPROCAL:
        return None
    allowed = FORK_LICENCES[upstream.licence]
    if part.licence in allowed:
        return None
    message = _(
        "“%(part)s” adapts “%(upstream)s” (generation %(generation)d), which is under %(upstream_licence)s: "
        "adaptations must stay under %(allowed)s, but the part carries %(licence)s. Treat the part as under "
        "%(upstream_licence)s until its author corrects its licence."
    ) % {
        "part": _part_label(part),
        "upstream": upstream.blueprint_title,
        "generation": upstream.generation,
        "upstream_licence": licence_name(upstream.licence),
        "allowed": _names(allowed),
        "licence": licence_name(part.licence),
    }
    return LicenceConflict(
        Severity.CONFLICT, "upstream_reciprocal", (upstream.licence, part.licence), (part.part_id,), message
    )


def licence_uses(dossier: DossierView) -> tuple[LicenceUse, ...]:
    """The licences the dossier contains, in `Licence` order, each with its parts."""
    parts = dossier.parts
    return tuple(
        LicenceUse(
            code=code,
            name=licence_name(code),
            url=_licence_url(code),
            summary=str(SUMMARIES.get(code, "")),
            requirements=str(LICENCE_REQUIREMENTS.get(code, "")),
            parts=tuple(part for part in parts if part.licence == code),
        )
        for code in _ordered(part.licence for part in parts)
    )


def page_context(request: HttpRequest, dossier: DossierView) -> dict[str, Any]:
    """The credits section of the dossier page, from the view alone (no query)."""
    found = licence_conflicts(dossier)
    return {
        "credits": Credits(
            dossier=dossier,
            licences=licence_uses(dossier),
            conflicts=tuple(item for item in found if item.severity == Severity.CONFLICT),
            notices=tuple(item for item in found if item.severity == Severity.NOTICE),
        )
    }


# --- NOTICE.md ------------------------------------------------------------------------------------

MARKDOWN_SPECIALS = str.maketrans({char: f"\\{char}" for char in "\\`*_[]<>#|"})


def markdown_text(value: str) -> str:
    """User text made inert in Markdown, on one line."""
    return " ".join(str(value).split()).translate(MARKDOWN_SPECIALS)


def _absolute(base_url: str, url: str) -> str:
    if not url or url.startswith(("http://", "https://")):
        return url
    return base_url.rstrip("/") + "/" + url.lstrip("/")


def _link(text: str, url: str) -> str:
    return f"[{markdown_text(text)}](<{url}>)" if url else markdown_text(text)


def notice_markdown(dossier: DossierView, *, base_url: str) -> str:
    """NOTICE.md of the dossier's package: who made each part, under which licence, adapting whose work.

    Always in English and built only from the version's pinned data, so the same version and
    `base_url` give the same bytes.
    """
    with translation.override("en"):
        return _notice(dossier, base_url=base_url)


def _notice(dossier: DossierView, *, base_url: str) -> str:
    lines: list[str] = []
    add = lines.append
    challenge_link = _link(dossier.challenge_title, _absolute(base_url, dossier.challenge_url))
    state = "complete" if dossier.is_complete else "in progress"
    add(f"# NOTICE: {markdown_text(dossier.challenge_title)}, dossier version {dossier.number}")
    add("")
    add(
        f"The awarded designs of the challenge {challenge_link}, dossier version {dossier.number} "
        f"(made {dossier.created_at.date().isoformat()}, challenge {state})."
    )
    add(
        "Every part keeps its own licence. Below: each part's authors and co-authors, the upstream designs "
        "it adapts, and what the licences require."
    )
    for section in dossier.phases:
        add("")
        add(f"## {section.position}. {markdown_text(section.title)} ({markdown_text(str(section.kind_label))})")
        if not section.parts:
            add("")
            add("Not awarded.")
        for part in section.parts:
            _notice_part(add, part, base_url=base_url)
    _notice_licences(add, dossier)
    return "\n".join(lines) + "\n"


def _notice_part(add: Any, part: DossierPartView, *, base_url: str) -> None:
    add("")
    add(f"### {markdown_text(part.blueprint_title)}, revision {part.revision_number}")
    add("")
    add(f"- Revision: <{_absolute(base_url, revision_url(part))}>")
    add(f"- Entry: {_link(part.entry_title, _absolute(base_url, part.entry_url))} (rank {part.rank})")
    add(f"- Licence: {_link(licence_name(part.licence), _licence_url(part.licence))}")
    authors = [
        f"{_link(person.name, _absolute(base_url, person.profile_url))} ({'author' if person.is_lead else 'co-author'})"
        for person in part.authors
    ]
    add(f"- Authors: {', '.join(authors) if authors else 'none recorded'}")
    if part.upstream:
        add("- Adapts (upstream, nearest first):")
        for upstream in part.upstream:
            blueprint = _link(upstream.blueprint_title, _absolute(base_url, upstream.blueprint_url))
            owner = _link(upstream.owner_name, _absolute(base_url, upstream.owner_url))
            licence = _link(licence_name(upstream.licence), _licence_url(upstream.licence))
            add(f"  - Generation {upstream.generation}: {blueprint} by {owner}, {licence}")


def _notice_licences(add: Any, dossier: DossierView) -> None:
    add("")
    add("## Licences")
    uses = licence_uses(dossier)
    if not uses:
        add("")
        add("No parts yet.")
    for use in uses:
        add("")
        add(f"### {_link(use.name, use.url)}")
        add("")
        add(use.requirements)
        add("")
        add("Parts: " + ", ".join(markdown_text(_part_label(part)) for part in use.parts))
    found = licence_conflicts(dossier)
    add("")
    add("## Conflicts and notices")
    add("")
    if not found:
        add("None: the licences of the parts combine without conditions beyond their own.")
    labels = {part.part_id: _part_label(part) for part in dossier.parts}
    for item in found:
        heading = "Conflict" if item.severity == Severity.CONFLICT else "Notice"
        concerned = ", ".join(markdown_text(labels[pk]) for pk in item.part_ids if pk in labels)
        add(f"- **{heading}** ({_names(item.licences)}): {markdown_text(item.message)} Parts: {concerned}.")
