"""Pages of the payments app: a challenge's budget (client), earnings and statements (member),
payout methods (member). Views read through selectors and write through services."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from community.http import AuthenticatedHttpRequest
from core.exceptions import ApplicationError
from core.pagination import query_without_cursor
from core.templatetags.coachworks_time import local_datetime
from payments import selectors, services
from payments.forms import PayoutMethodForm, add_application_error
from payments.statements import statement_csv, statement_pdf


@login_required
def budget(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    challenge = selectors.challenge_for_budget(user=request.user, slug=slug)
    return render(
        request, "payments/budget.html", {"challenge": challenge, "b": selectors.challenge_budget(challenge=challenge)}
    )


@login_required
def earnings(request: AuthenticatedHttpRequest) -> HttpResponse:
    page = selectors.member_payouts_page(user=request.user, cursor=request.GET.get("cursor"))
    context = {
        "totals": selectors.member_earnings_totals(user=request.user),
        "page": page,
        "rows": selectors.payout_rows(page),
        "query": query_without_cursor(request),
        "method": next((m for m in selectors.payout_methods_of(user=request.user) if m.is_active), None),
    }
    return render(request, "payments/earnings.html", context)


@login_required
def statement(request: AuthenticatedHttpRequest, fmt: str) -> HttpResponse | StreamingHttpResponse:
    data = selectors.member_earnings(user=request.user)
    stamp = timezone.localdate().isoformat()
    response: HttpResponse | StreamingHttpResponse
    if fmt == "pdf":
        # fpdf2 builds the document in memory; the rows are still read in chunks.
        response = HttpResponse(statement_pdf(data, user=request.user), content_type="application/pdf")
    else:
        # The member's whole statement, streamed: rows are read from the database in chunks.
        response = StreamingHttpResponse(statement_csv(data), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="coachworks-earnings-{stamp}.{fmt}"'
    return response


@login_required
def payout_methods(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = PayoutMethodForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            method = services.payout_method_set(
                user=request.user,
                password=form.cleaned_data["password"],
                holder_name=form.cleaned_data["holder_name"],
                iban=form.cleaned_data["iban"],
                bic=form.cleaned_data["bic"],
            )
        except ApplicationError as error:
            add_application_error(form, error)
        else:
            messages.success(
                request,
                _("Saved. Payouts go to %(account)s from %(when)s; we sent you an e-mail about the change.")
                % {
                    "account": method.shown_as,
                    "when": local_datetime(method.usable_from),
                },
            )
            return redirect("payments:payout_methods")
    context = {
        "form": form,
        "methods": selectors.payout_methods_of(user=request.user),
        "now": timezone.now(),
        "hold_hours": settings.PAYMENTS_METHOD_CHANGE_HOLD_HOURS,
    }
    return render(request, "payments/payout_methods.html", context)


@login_required
@require_POST
def payout_method_remove(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    method = selectors.payout_method_for_owner(user=request.user, pk=pk)
    try:
        services.payout_method_remove(user=request.user, method=method, password=request.POST.get("password", ""))
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Removed. Your payouts wait until you add another bank account."))
    return redirect("payments:payout_methods")
