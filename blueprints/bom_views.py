"""The parts-list page: the owner edits the bill of materials of a draft revision.

Works without JavaScript: "Add a row" posts the rows typed so far and shows them again with one
more empty row (nothing is saved until "Save the parts list").
"""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from blueprints import bom, selectors
from blueprints.bom_forms import BomFormSet, BomLineForm
from blueprints.models import Blueprint, Revision
from community.http import AuthenticatedHttpRequest
from core.exceptions import ApplicationError

ADD_ROW = "add_row"


def _with_one_more_row(data: QueryDict) -> QueryDict:
    more = data.copy()
    prefix = BomFormSet().prefix
    total = int(more.get(f"{prefix}-TOTAL_FORMS") or 0)
    more[f"{prefix}-TOTAL_FORMS"] = str(min(total + 1, bom.MAX_LINES))
    return more


def _place_errors(error: ApplicationError, kept: list[BomLineForm]) -> list[str]:
    """Put the service's `lines.<index>.<field>` messages on their rows; return the rest."""
    fields = error.extra.get("fields", {}) if isinstance(error.extra, dict) else {}
    rest: list[str] = []
    for path, field_messages in fields.items():
        parts = path.split(".")
        if len(parts) == 3 and parts[0] == "lines" and parts[1].isdigit() and int(parts[1]) < len(kept):
            for message in field_messages:
                kept[int(parts[1])].add_error(parts[2], message)
        else:
            rest.extend(field_messages)
    return rest or [error.message]


def _render(
    request: AuthenticatedHttpRequest, blueprint: Blueprint, revision: Revision, formset: Any, errors: list[str]
) -> HttpResponse:
    return render(
        request,
        "blueprints/bom_edit.html",
        {
            "blueprint": blueprint,
            "revision": revision,
            "formset": formset,
            "errors": errors,
            "can_add_row": formset.total_form_count() < bom.MAX_LINES,
            "max_lines": bom.MAX_LINES,
        },
    )


@login_required
def bom_edit(request: AuthenticatedHttpRequest, slug: str, number: int) -> HttpResponse:
    blueprint, revision = selectors.revision_for_owner(slug=slug, number=number, user=request.user)
    if revision.is_published:
        messages.info(request, _("This revision is published and cannot change; make a new revision instead."))
        return redirect("blueprints:revision", slug=slug, number=number)
    if request.method != "POST":
        initial = bom.bom_lines_as_data(list(revision.bom_parts.all()))
        return _render(request, blueprint, revision, BomFormSet(initial=initial), [])

    if ADD_ROW in request.POST:
        formset = BomFormSet(_with_one_more_row(request.POST))
        formset.is_valid()  # shows what is already wrong next to the rows
        return _render(request, blueprint, revision, formset, [])

    formset = BomFormSet(request.POST)
    if not formset.is_valid():
        return _render(request, blueprint, revision, formset, [_("Please correct the marked fields.")])
    kept = [form for form in formset.forms if not form.cleaned_data.get("DELETE") and not form.is_blank()]
    try:
        bom.revision_bom_set(revision=revision, by=request.user, lines=[form.line() for form in kept])
    except ApplicationError as error:
        return _render(request, blueprint, revision, formset, _place_errors(error, kept))
    messages.success(request, _("The parts list is saved."))
    return redirect("blueprints:upload", slug=slug, number=number)
