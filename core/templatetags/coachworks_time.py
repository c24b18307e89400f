"""Dates as members read them: one format per language, in their own time zone with the zone named,
and deadlines as "in 3 days" next to the absolute time.

Every page and mail shows a day with `local_date` ("30 Nov 2026", "30. Nov. 2026") and a moment with
`local_datetime` ("30 Nov 2026, 23:57 UTC", "30. Nov. 2026, 23:57 UTC"); templates never use `|date:`
themselves (`core/tests/test_dates.py` fails if one does).

The time zone is the one `community.middleware.MemberPreferencesMiddleware` activated (the
member's own, or the site's for visitors).
"""

from datetime import date, datetime

from django import template
from django.conf import settings
from django.utils import dateformat, timezone, translation
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext, ngettext

register = template.Library()


def zone_label(moment: datetime) -> str:
    """`CET (Europe/Berlin)`: the abbreviation in force at `moment` and the zone's name."""
    zone = timezone.get_current_timezone()
    name = getattr(zone, "key", None) or str(zone)
    abbreviation = timezone.localtime(moment, zone).tzname() or ""
    if not abbreviation or abbreviation == name or abbreviation.lstrip("+-").isdigit():
        return name
    return f"{abbreviation} ({name})"


# (day, day and time) per language, in Django's date-format letters; `N` is the month abbreviated as each
# language's style guides do it ("Nov.", "März", "Juni" in German). Time is 24-hour in both.
DATE_FORMATS: dict[str, tuple[str, str]] = {
    "en": ("j M Y", "j M Y, H:i"),
    "de": ("j. N Y", "j. N Y, H:i"),
}


def _formats() -> tuple[str, str]:
    language = (translation.get_language() or settings.LANGUAGE_CODE).split("-")[0]
    return DATE_FORMATS.get(language, DATE_FORMATS["en"])


@register.filter
def local_date(value: date | datetime | None) -> str:
    """`30 Nov 2026` / `30. Nov. 2026`: the day (of a moment, in the active time zone) in the active language."""
    if value is None or value == "":
        return ""
    if isinstance(value, datetime):
        value = timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    return dateformat.format(value, _formats()[0])


@register.filter
def local_datetime(moment: datetime | None) -> str:
    """`30 Nov 2026, 16:00 CET (Europe/Berlin)` / `30. Nov. 2026, 16:00 UTC` in the active language and zone."""
    if moment is None or moment == "":
        return ""
    local = timezone.localtime(moment)
    return f"{dateformat.format(local, _formats()[1])} {zone_label(moment)}"


@register.filter
def relative_time(moment: datetime | None, now: datetime | None = None) -> str:
    """`in 3 days`, `in 5 hours`, `2 minutes ago`, `just now`: translated, rounded down."""
    if moment is None:
        return ""
    now = now or timezone.now()
    seconds = int((moment - now).total_seconds())
    future = seconds > 0
    seconds = abs(seconds)
    if seconds < 60:
        return gettext("just now")
    for size, singular_future, plural_future, singular_past, plural_past in _UNITS:
        if seconds >= size:
            count = seconds // size
            if future:
                return ngettext(singular_future, plural_future, count) % {"count": count}
            return ngettext(singular_past, plural_past, count) % {"count": count}
    return gettext("just now")  # pragma: no cover - the loop ends with minutes


# Plain strings here; ngettext above translates them (listed so the catalogue check finds them).
_UNITS = (
    (86400, "in %(count)d day", "in %(count)d days", "%(count)d day ago", "%(count)d days ago"),
    (3600, "in %(count)d hour", "in %(count)d hours", "%(count)d hour ago", "%(count)d hours ago"),
    (60, "in %(count)d minute", "in %(count)d minutes", "%(count)d minute ago", "%(count)d minutes ago"),
)


def _mark_for_translation() -> None:  # pragma: no cover - never called; makemessages reads it
    ngettext("in %(count)d day", "in %(count)d days", 1)
    ngettext("%(count)d day ago", "%(count)d days ago", 1)
    ngettext("in %(count)d hour", "in %(count)d hours", 1)
    ngettext("%(count)d hour ago", "%(count)d hours ago", 1)
    ngettext("in %(count)d minute", "in %(count)d minutes", 1)
    ngettext("%(count)d minute ago", "%(count)d minutes ago", 1)


@register.simple_tag
def when(moment: datetime | None) -> SafeString:
    """`<time datetime="…" title="…">in 3 days (28.11.2026 16:00 CET (Europe/Berlin))</time>`."""
    if moment is None:
        return format_html("")
    return format_html(
        '<time datetime="{}" title="{}">{} <span class="muted">({})</span></time>',
        moment.isoformat(),
        local_datetime(moment),
        relative_time(moment),
        local_datetime(moment),
    )


@register.simple_tag
def current_time_zone_label() -> str:
    return zone_label(timezone.now())
