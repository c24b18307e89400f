"""One date format per language, from one helper (`core/templatetags/coachworks_time.py`), everywhere."""

import re
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.template import Context, Template
from django.utils import timezone, translation

from core.templatetags.coachworks_time import local_date, local_datetime

UTC = ZoneInfo("UTC")
LATE = datetime(2026, 11, 30, 23, 57, tzinfo=UTC)


@pytest.mark.parametrize(
    ("language", "day", "moment"),
    [
        ("en", "30 Nov 2026", "30 Nov 2026, 23:57 UTC"),
        ("de", "30. Nov. 2026", "30. Nov. 2026, 23:57 UTC"),
    ],
)
def test_each_language_has_one_day_and_one_moment_format(language: str, day: str, moment: str) -> None:
    with translation.override(language), timezone.override(UTC):
        assert local_date(LATE) == day
        assert local_date(date(2026, 11, 30)) == day
        assert local_datetime(LATE) == moment


def test_german_months_are_abbreviated_as_german_writes_them() -> None:
    with translation.override("de"), timezone.override(UTC):
        assert local_date(date(2026, 3, 5)) == "5. März 2026"
        assert local_date(date(2026, 6, 1)) == "1. Juni 2026"
        assert local_date(date(2026, 12, 24)) == "24. Dez. 2026"


def test_the_day_of_a_moment_is_the_day_in_the_members_time_zone() -> None:
    with translation.override("en"), timezone.override(ZoneInfo("Europe/Berlin")):
        assert local_date(LATE) == "1 Dec 2026"
        assert local_datetime(LATE) == "1 Dec 2026, 00:57 CET (Europe/Berlin)"


def test_nothing_renders_as_nothing() -> None:
    assert local_date(None) == ""
    assert local_datetime(None) == ""


def test_templates_render_the_same_format_in_both_languages() -> None:
    template = Template("{% load coachworks_time %}{{ moment|local_date }} | {{ moment|local_datetime }}")
    with timezone.override(UTC):
        with translation.override("en"):
            english = template.render(Context({"moment": LATE}))
        with translation.override("de"):
            german = template.render(Context({"moment": LATE}))

    assert english == "30 Nov 2026 | 30 Nov 2026, 23:57 UTC"
    assert german == "30. Nov. 2026 | 30. Nov. 2026, 23:57 UTC"


# Django's own date filters, and humanize's, each with a format of its own.
AD_HOC_DATE = re.compile(r"\|\s*(date|time)\b|\b(naturaltime|naturalday)\b")


def template_files() -> list[Path]:
    root = Path(settings.BASE_DIR)
    skip = {".venv", "node_modules", "var", "staticfiles", ".git"}
    return [
        path
        for path in root.rglob("*")
        if path.suffix in {".html", ".txt"}
        and "templates" in path.parts
        and not skip.intersection(path.relative_to(root).parts)
    ]


def test_no_template_formats_a_date_itself() -> None:
    files = template_files()
    assert len(files) > 50  # the walk found the project's templates

    offenders = [
        f"{path.relative_to(settings.BASE_DIR)}:{number}: {line.strip()[:120]}"
        for path in files
        for number, line in enumerate(path.read_text(errors="replace").splitlines(), start=1)
        if AD_HOC_DATE.search(line)
    ]

    assert not offenders, "Use |local_date or |local_datetime (coachworks_time) instead:\n" + "\n".join(offenders)
