"""`/dev/mails/`: the mails the development outbox (`core.mail`) kept, newest first, each with clickable links.

Only with `DEBUG` on and only for staff; everyone else (and everyone in production) gets 404, so the page
does not even admit it exists.
"""

import nh3
from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.http import require_safe

from core.mail import NAME, outbox_dir, outbox_mail, outbox_page
from core.markdown import ALLOWED_ATTRIBUTES, ALLOWED_TAGS, URL_SCHEMES

PAGE_SIZE = 25


def clean_html(html: str) -> SafeString:
    """A mail's HTML part with what the site's Markdown allows (no scripts, styles or handlers): the page's
    Content-Security-Policy stays strict and the links stay clickable."""
    cleaned = nh3.clean(
        html,
        tags=ALLOWED_TAGS | {"div", "span", "h1"},
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener",
        strip_comments=True,
    )
    return mark_safe(cleaned)  # noqa: S308 - sanitised by nh3 just above


def _allowed(request: HttpRequest) -> None:
    if not settings.DEBUG or not request.user.is_authenticated or not request.user.is_staff:
        raise Http404


@require_safe
def mail_list(request: HttpRequest) -> HttpResponse:
    _allowed(request)
    before = request.GET.get("before", "")
    mails, next_before = outbox_page(before=before if NAME.match(before) else "", size=PAGE_SIZE)
    return render(
        request,
        "core/dev_mails.html",
        {"mails": mails, "next_before": next_before, "first_page": not before, "directory": outbox_dir()},
    )


@require_safe
def mail_detail(request: HttpRequest, name: str) -> HttpResponse:
    _allowed(request)
    mail = outbox_mail(name)
    if mail is None:
        raise Http404
    return render(request, "core/dev_mail.html", {"mail": mail, "html": clean_html(mail.html) if mail.html else ""})
