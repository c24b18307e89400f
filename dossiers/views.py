"""The dossier page: one version of a challenge's vehicle dossier, with the parts each helper brings."""

import logging
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from dossiers import assembly, attribution, bom, packaging, second_generation
from dossiers.selectors import DossierNotFound, dossier_view
from dossiers.snapshot import DossierView

logger = logging.getLogger(__name__)

# Each section of the page and the module that gives its context, in the order the page shows them.
SECTIONS = (
    ("assembly", assembly),
    ("bom", bom),
    ("credits", attribution),
    ("package", packaging),
    ("start_again", second_generation),
)


def section_contexts(request: HttpRequest, dossier: DossierView) -> dict[str, Any]:
    """Each section's context from its module's `page_context(request, dossier)`."""
    return {key: module.page_context(request, dossier) for key, module in SECTIONS}


class _PageLink:
    """What `{% social_meta %}` needs of the page: its address."""

    def __init__(self, url: str) -> None:
        self.url = url

    def get_absolute_url(self) -> str:
        return self.url


def dossier_page(request: HttpRequest, slug: str, number: int | None = None) -> HttpResponse:
    """Version `number` of the dossier (the latest without one); 404 when unseen, absent or not made yet."""
    try:
        dossier = dossier_view(user=request.user, slug=slug, number=number)
    except DossierNotFound as error:
        return render(request, "dossiers/not_found.html", {"message": str(error)}, status=404)
    contexts = section_contexts(request, dossier)
    url = reverse("dossiers:version", kwargs={"slug": slug, "number": dossier.number})
    context = {
        "dossier": dossier,
        "page_link": _PageLink(url),
        "still_url": (contexts.get("assembly") or {}).get("still_url", ""),
        "awarded_parts": len(dossier.parts),
        **contexts,
    }
    return render(request, "dossiers/dossier.html", context)
