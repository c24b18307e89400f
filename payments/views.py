"""Pages of the payments app: a challenge's budget (client), earnings and statements (member),
payout methods (member). Views read through selectors and write through services."""

from typing import Any

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
from core.forms import add_application_error
from core.pagination import query_without_cursor
from core.templatetags.coachworks_time import local_datetime
from payments import selectors, services
from payments.forms import PayoutMethodForm, ProviderMethodForm
from payments.providers import bank_account_provider_code, registered_providers
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


def _other_provider_forms(data: Any) -> list[ProviderMethodForm]:
    """A form for each registered provider besides the bank account's (bound to `data` if it was the one sent)."""
    found = []
    for provider in registered_providers():
        if provider.code != bank_account_provider_code():
            sent = data is not None and f"provider-{provider.code}-provider" in data
            found.append(ProviderMethodForm(provider, data if sent else None))
    return found


@login_required
def payout_methods(request: AuthenticatedHttpRequest) -> HttpResponse:
    data = request.POST or None
    other_forms = _other_provider_forms(data)
    bound = next((form for form in other_forms if form.is_bound), None)
    form = PayoutMethodForm(None if bound else data)
    submitted: PayoutMethodForm | ProviderMethodForm | None = bound or (form if data else None)
    if submitted is not None and submitted.is_valid():
        try:
            if isinstance(submitted, ProviderMethodForm):
                method = services.payout_method_choose(
                    user=request.user,
                    password=submitted.cleaned_data["password"],
                    provider=submitted.payout_provider.code,
                    holder_name=submitted.cleaned_data["holder_name"],
                    destination=submitted.destination(),
                )
            else:
                method = services.payout_method_set(
                    user=request.user,
                    password=submitted.cleaned_data["password"],
                    holder_name=submitted.cleaned_data["holder_name"],
                    iban=submitted.cleaned_data["iban"],
                    bic=submitted.cleaned_data["bic"],
                )
        except ApplicationError as error:
            add_application_error(submitted, error, message_on_top=True)
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
        "other_forms": other_forms,
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
