"""Every string a page, e-mail or message shows has a German translation (no empty, no fuzzy msgstr)."""

import pytest
from django.template.loader import render_to_string
from django.utils import translation

from community.translations import project_msgids, untranslated


def _report(missing) -> str:
    return "\n".join(f"{m.where}: {m.msgid!r}" for m in missing[:60]) + (
        f"\n... and {len(missing) - 60} more" if len(missing) > 60 else ""
    )


def test_the_checker_finds_template_python_and_plural_strings():
    found = {message.msgid: message for message in project_msgids(["community"])}
    assert "Post comment" in found  # {% translate %} in a template
    assert found["%(counter)s comment"].plural == "%(counter)s comments"  # {% blocktranslate count %}
    assert "You cannot follow yourself." in found  # gettext in Python


def test_an_untranslated_template_string_is_reported(tmp_path, settings):
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [tmp_path]}]
    (tmp_path / "probe.html").write_text('{% load i18n %}{% translate "A sentence nobody translated 4711" %}')
    assert [m.msgid for m in untranslated()].count("A sentence nobody translated 4711") == 1


def test_community_core_and_project_templates_are_completely_translated(settings):
    project_templates = str(settings.BASE_DIR / "templates")
    missing = untranslated(["community", "core"])
    missing += [m for m in untranslated() if m.where.startswith(project_templates)]
    assert not missing, "Untranslated strings:\n" + _report(missing)


@pytest.mark.translations
def test_every_app_is_completely_translated_to_german():
    missing = untranslated()
    assert not missing, "Untranslated strings (add them to the app's locale/de/LC_MESSAGES/django.po):\n" + _report(
        missing
    )


def test_a_page_renders_in_german():
    with translation.override("de"):
        html = render_to_string("community/unsubscribe.html", {"done": True, "kind_label": ""})
    assert "Du erhältst keine Benachrichtigungs-E-Mails mehr." in html
