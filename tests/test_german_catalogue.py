"""German as a native speaker writes it: one form of address ("du") and one term per concept (locale/GLOSSARY.md).

The German catalogues of the project (locale/ and each app's locale/) are checked entry by entry: every entry
is translated and not fuzzy, none addresses the reader as "Sie", none uses a variant the glossary rejects, and
each shows at run time the translation its catalogue gives (a msgid that Django, allauth or another catalogue
translates first would silently show their text instead). The strings of Django and the installed packages
that the running site can show are checked for the formal address too, and the main pages, rendered in German
for every role, and the account mails are read the way a member sees them.
"""

import re
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import polib
import pytest
from django.conf import settings
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import translation
from django.utils.translation import trans_real

from community.translations import catalogue_paths, untranslated
from tests.main_pages import MAIN_PAGES, MEMBER, ROLES, SIGNED_OUT, build_site, session_cookie

GLOSSARY = Path(settings.BASE_DIR) / "locale" / "GLOSSARY.md"

# allauth's pages besides sign-in and sign-up (tests/main_pages.py), by who opens them
ACCOUNT_PAGES = {
    SIGNED_OUT: ("/accounts/password/reset/", "/accounts/password/reset/done/", "/accounts/confirm-email/"),
    MEMBER: ("/accounts/email/", "/accounts/password/change/", "/accounts/2fa/", "/accounts/2fa/totp/activate/",
             "/accounts/logout/"),
}  # fmt: skip

FORMAL_PRONOUN = re.compile(r"\b(Sie|Ihr|Ihre|Ihren|Ihrem|Ihrer|Ihres|Ihnen)\b")
# After one of these (or at the very start) a capitalised "Sie" or "Ihr" may be "they" or "its".
SENTENCE_OPENERS = tuple('.!?:;\n„“"(>[–-')
# "Sie" opening a sentence is the formal address when a plural verb follows ("Sie haben", "Sie können" ...)
FORMAL_VERB_AFTER_SIE = re.compile(
    r"(haben|sind|können|müssen|dürfen|möchten|wollen|werden|erhalten|sehen|finden|brauchen|bekommen|sollten"
    r"|folgen|kommentieren|reichen|nehmen|geben|stimmen|melden|wählen|bestätigen|verwenden|klicken)\b"
)
# ... and "Ihr ..." opening a sentence is the address when the reader's own things follow.
READERS_THING_AFTER_IHR = re.compile(
    r"(Konto|Passwort|Profil|Beitrag|Beiträge|Entwurf|Kommentar|Bauplan|Baupläne|Auszahlung\w*|Stimme|\w*[Cc]ode"
    r"|Geld|Punkte|Token\w*|Antwort|E-Mail\w*|Zusammenfassung|Benachrichtigung\w*|Warteschlange|Bewertung\w*"
    r"|Mitautoren|Einnahmen|Sicherheit|Anmelde\w*|Zugang)\b"
)


def formal_address(text: str) -> list[str]:
    """The places where `text` addresses the reader as "Sie" (each with a little context), empty when none."""
    found = []
    plain = re.sub(r"<[^>]+>", "\n", re.sub(r"%\(\w+\)[sd]", "X", text))  # a tag may end a sentence, as a line does
    for match in FORMAL_PRONOUN.finditer(plain):
        before = plain[: match.start()].rstrip(" \t\u00a0")
        after = plain[match.end() :].lstrip()
        opens_sentence = not before or before.endswith(SENTENCE_OPENERS)
        if match.group() == "Sie":
            formal = not opens_sentence or FORMAL_VERB_AFTER_SIE.match(after)
        elif match.group() == "Ihnen":
            formal = True
        else:
            formal = not opens_sentence or READERS_THING_AFTER_IHR.match(after)
        if formal:
            found.append(plain[max(0, match.start() - 20) : match.end() + 20].strip())
    return found


@dataclass(frozen=True)
class Rejected:
    word: str  # as the glossary lists it
    pattern: str
    use: str  # the glossary's term


REJECTED = (
    Rejected("Wettbewerb", r"\bWettbewerb\w*", "Challenge"),
    Rejected("Herausforderung", r"\bHerausforderung(en)?\b", "Challenge"),
    Rejected("Ausschreibung", r"\bAusschreibung(en)?\b", "Challenge / Briefing"),
    Rejected("Kunde", r"\b(Kunde|Kunden|Kundin)\b", "Auftraggeber"),
    Rejected("Klient", r"\bKlient\w*", "Auftraggeber"),
    Rejected("Lastenheft", r"\bLastenheft\w*", "Briefing"),
    Rejected("Aufgabenstellung", r"\bAufgabenstellung\w*", "Briefing"),
    Rejected("Etat", r"\bEtat\b", "Budget"),
    Rejected("Escrow", r"\bEscrow\b", "Treuhand"),
    Rejected("Sperrkonto", r"\bSperrkonto\w*", "Treuhandkonto"),
    Rejected("Runde", r"\bRunden?\b", "Phase"),
    Rejected("Etappe", r"\bEtappen?\b", "Phase"),
    Rejected("Jurierung", r"\b[Jj]urier\w*", "Bewertung, bewerten"),
    Rejected("Juror", r"\bJuror\w*", "Jurymitglied"),
    Rejected("Preisrichter", r"\bPreisrichter\w*", "Jurymitglied"),
    Rejected("Richter", r"\bRichter\w*", "Jurymitglied"),
    Rejected("Gutachter", r"\bGutachter\w*", "Jurymitglied"),
    Rejected("Gremium", r"\bGremi(um|en)\b", "Jury"),
    Rejected("Preisgericht", r"\bPreisgericht\w*", "Jury"),
    Rejected("Benotung", r"\bBenotung\w*", "Bewertung"),
    Rejected("Wertung", r"\bWertung(en)?\b", "Bewertung"),
    Rejected("Einreichung", r"\bEinreichung(en)?\b", "Beitrag"),
    Rejected("Einsendung", r"\bEinsendung\w*", "Beitrag"),
    Rejected("Prämie", r"\bPrämie\w*", "Preis, Preisgeld"),
    Rejected("Prämiert", r"\b[Pp]rämier\w*", "Preise vergeben"),
    Rejected("Auszeichnung", r"\bAuszeichnung\w*", "Preis, Preisvergabe"),
    Rejected("Sieger", r"\bSieger\w*", "Gewinner"),
    Rejected("Blaupause", r"\bBlaupause\w*", "Bauplan"),
    Rejected("Fassung", r"\bFassung(en)?\b", "Revision"),
    Rejected("Abzweigung", r"\b[Aa]bzweig\w*|\babgezweigt\b", "Fork, forken"),
    Rejected("Ableger", r"\bAbleger\w*", "Fork"),
    Rejected("Abspaltung", r"\bAbspaltung\w*", "Fork"),
    Rejected("Abstammung", r"\bAbstammung\w*", "Stammbaum"),
    Rejected("Koautor", r"\bKoautor\w*", "Mitautor"),
    Rejected("Co-Autor", r"\bCo-Autor\w*", "Mitautor"),
    Rejected("Nutzer", r"\bNutzer\w*", "Mitglied"),
    Rejected("Benutzer", r"\bBenutzer\w*", "Mitglied"),
    Rejected("abonnieren", r"\b[Aa]bonnier\w*|\bAbonnent\w*", "folgen"),
    Rejected("Mitteilung", r"\bMitteilung\w*", "Benachrichtigung"),
    Rejected("Moderatoren", r"\bModerator(en|in|innen)?\b", "die Moderation"),
    Rejected("Gemeinschaft", r"\bGemeinschaft\b", "Community"),
    Rejected("Mitarbeiter", r"\bMitarbeiter\w*", "Team, Verwaltung"),
    Rejected("Verdienst", r"\bVerdienst\w*", "Einnahmen"),
    Rejected("Einkünfte", r"\bEinkünfte\b", "Einnahmen"),
    Rejected("Ausschüttung", r"\bAusschüttung\w*", "Auszahlung"),
    Rejected("Stapel", r"\bStapel\w*", "Sammelauftrag"),
    Rejected("Batch", r"\bBatch\w*", "Sammelauftrag"),
    Rejected("Sammelüberweisung", r"\bSammelüberweisung\w*", "Sammelauftrag"),
    Rejected("Erstattung", r"\bErstattung\w*", "Rückerstattung"),
    Rejected("Rückzahlung", r"\bRückzahlung\w*", "Rückerstattung"),
    Rejected("Ledger", r"\bLedger\w*", "Hauptbuch"),
    Rejected("Kassenbuch", r"\bKassenbuch\w*", "Hauptbuch"),
    Rejected("Dashboard", r"\bDashboard\w*", "Übersicht"),
    Rejected("einloggen", r"\b[Ee]inlogg\w*|\b[Aa]uslogg\w*|\bLogin\b", "anmelden, abmelden"),
    Rejected("Account", r"\bAccount\w*", "Konto"),
    Rejected("Email", r"\b(Email|eMail|gemailt)\b", "E-Mail"),
    Rejected("Mail", r"(?<![-\w])Mails?\b", "E-Mail"),
    Rejected("der Token", r"\b(der|den|einen) Token\b", "das Token"),
)


def rejected_terms(text: str) -> list[str]:
    return [f"{found.group()} (use: {term.use})" for term in REJECTED for found in re.finditer(term.pattern, text)]


@dataclass(frozen=True)
class Entry:
    catalogue: str
    entry: polib.POEntry

    @property
    def translations(self) -> list[str]:
        return list(self.entry.msgstr_plural.values()) if self.entry.msgid_plural else [self.entry.msgstr]

    def __str__(self) -> str:
        context = f"[{self.entry.msgctxt}] " if self.entry.msgctxt else ""
        return f"{self.catalogue}: {context}{self.entry.msgid!r}"


def german_entries() -> list[Entry]:
    entries = []
    for path in catalogue_paths():
        name = str(path.relative_to(settings.BASE_DIR))
        entries += [Entry(name, entry) for entry in polib.pofile(str(path)) if not entry.obsolete]
    return entries


def offences(found: dict[str, list[str]]) -> str:
    return "\n".join(f"{where}: {'; '.join(what)}" for where, what in found.items())


def test_the_german_catalogues_are_found():
    names = {entry.catalogue for entry in german_entries()}

    assert "locale/de/LC_MESSAGES/django.po" in names
    assert {"challenges", "blueprints", "submissions", "payments"} <= {name.split("/")[0] for name in names}


def test_every_german_entry_is_translated_and_none_is_fuzzy():
    missing = [
        str(entry)
        for entry in german_entries()
        if "fuzzy" in entry.entry.flags or not all(text.strip() for text in entry.translations)
    ]

    assert not missing, "Untranslated or fuzzy (translate them, then drop the fuzzy flag):\n" + "\n".join(missing)


def test_every_string_the_project_shows_has_a_german_translation():
    missing = untranslated()

    assert not missing, "No German translation:\n" + "\n".join(f"{m.where}: {m.msgid!r}" for m in missing)


def test_no_german_entry_addresses_the_reader_as_sie():
    found = {
        str(entry): hits
        for entry in german_entries()
        for hits in [formal_address(" ".join(entry.translations))]
        if hits
    }

    assert not found, "The formal address (say du, locale/GLOSSARY.md):\n" + offences(found)


def test_no_german_entry_uses_a_term_the_glossary_rejects():
    found = {
        str(entry): hits
        for entry in german_entries()
        for hits in [rejected_terms(" ".join(entry.translations))]
        if hits
    }

    assert not found, "Terms the glossary rejects (locale/GLOSSARY.md):\n" + offences(found)


def test_every_rejected_term_the_test_looks_for_is_in_the_glossary():
    glossary = GLOSSARY.read_text(encoding="utf-8")

    assert [term.word for term in REJECTED if term.word not in glossary] == []


@pytest.mark.parametrize(
    ("text", "formal"),
    [
        ("Melde dich an, um mitzudiskutieren.", False),
        ("Melden Sie sich an, um mitzudiskutieren.", True),
        ("Bitte versuchen Sie es später erneut.", True),
        ("Sie haben diesen Kommentar bereits gemeldet.", True),
        ("Ihr Beitrag wurde eingereicht.", True),
        ("Das ist nicht Ihr Auszahlungsweg.", True),
        ("Wir schicken Ihnen eine E-Mail.", True),
        ("Die Phase wartet. Sie öffnet von selbst, sobald die Preise vergeben sind.", False),
        ("Die Jury bewertet die Beiträge: Sie sieht alle.", False),
        ("Ihr Einreichungszeitraum ist verstrichen.", False),
        ("Die Autoren sehen sie, und ihre Mitautoren auch.", False),
        ("„%(title)s“: Sie erhalten keine E-Mails mehr.", True),
    ],
)
def test_the_formal_address_is_told_from_they_and_its(text, formal):
    assert bool(formal_address(text)) is formal


def test_the_glossary_terms_are_told_from_the_words_that_contain_them():
    assert (
        rejected_terms("Die Zusammenfassung, die Bewertung, die Rückerstattung, die Einreichungsfrist, E-Mails") == []
    )
    assert rejected_terms("Die Einreichungen des Siegers per Mail") == [
        "Einreichungen (use: Beitrag)",
        "Siegers (use: Gewinner)",
        "Mail (use: E-Mail)",
    ]


def test_each_german_entry_is_the_translation_the_site_shows():
    """The project catalogue wins over the app catalogues, and Django's and allauth's catalogues (earlier in
    INSTALLED_APPS) win over ours: a msgid translated twice shows only one of the two texts."""
    shadowed = []
    with translation.override("de"):
        for entry in german_entries():
            if not entry.translations[0]:
                continue
            msgid, context = entry.entry.msgid, entry.entry.msgctxt
            if entry.entry.msgid_plural:
                plural = entry.entry.msgid_plural
                shown = (
                    translation.npgettext(context, msgid, plural, 1)
                    if context
                    else translation.ngettext(msgid, plural, 1)
                )
            else:
                shown = translation.pgettext(context, msgid) if context else translation.gettext(msgid)
            if shown != entry.translations[0]:
                shadowed.append(f"{entry}: the catalogue says {entry.translations[0]!r}, the site shows {shown!r}")

    assert not shadowed, "Give the msgid a context (pgettext) or one translation everywhere:\n" + "\n".join(shadowed)


def test_no_string_the_running_site_can_show_in_german_addresses_the_reader_as_sie():
    """Django's, allauth's and the other packages' own German included: the project catalogue overrides theirs
    (config/german_overrides.py lists those msgids)."""
    catalogue: Any = getattr(trans_real.translation("de"), "_catalog")  # noqa: B009 (Django keeps the merged catalogue private)
    found = {}
    for key in set(catalogue.keys()):
        hits = formal_address(catalogue[key])
        if hits:
            found[repr(key)] = hits

    assert len(list(catalogue.keys())) > 2000  # Django's, allauth's and ours, not an empty catalogue
    assert not found, "Add these to config/german_overrides.py and translate them with du:\n" + offences(found)


class VisibleText(HTMLParser):
    """The text a reader sees or hears: text nodes outside <script> and <style>, and the labelling attributes."""

    ATTRIBUTES = ("title", "alt", "aria-label", "placeholder", "content")

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self.hidden += 1
        self.parts += [value for name, value in attrs if name in self.ATTRIBUTES and value]

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self.hidden -= 1

    def handle_data(self, data: str) -> None:
        if not self.hidden and data.strip():
            self.parts.append(data.strip())


def visible_text(html: str) -> str:
    parser = VisibleText()
    parser.feed(html)
    return "\n".join(parser.parts)


@pytest.mark.django_db
def test_the_main_pages_in_german_say_du_and_use_the_glossary_terms(settings):
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    site = build_site()
    found: dict[str, list[str]] = {}
    read = 0
    for role in ROLES:
        client = Client()
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "de"
        if role != SIGNED_OUT:
            cookie = session_cookie("http://testserver", site.users[role])
            client.cookies[cookie["name"]] = cookie["value"]
        pages = [(page.name, page.path(site)) for page in MAIN_PAGES if role in page.roles and not page.english_only]
        pages += [(url, url) for url in ACCOUNT_PAGES.get(role, ())]
        for name, url in pages:
            response = client.get(url, follow=True)  # two-factor set-up asks for the password first
            assert response.status_code == 200, f"{name} ({url}) as {role}: {response.status_code}"
            html = response.content.decode()
            assert '<html lang="de"' in html, f"{name} as {role} is not in German"
            text = visible_text(html)
            read += 1
            hits = formal_address(text) + rejected_terms(text)
            if hits:
                found[f"{name} ({url}) as {role}"] = hits

    assert read > 40
    assert not found, "German pages that say Sie or use a rejected term:\n" + offences(found)


@pytest.mark.django_db
def test_the_account_mails_in_german_say_du(client, member, password):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "de"
    client.post(
        reverse("account_signup"),
        {
            "email": "grete@example.com",
            "password1": password,
            "password2": password,
            "display_name": "Grete",
            "country": "DE",
            "experience": "enthusiast",
        },
    )
    client.logout()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "de"
    client.post(reverse("account_reset_password"), {"email": "ada@example.com"})

    assert len(mail.outbox) == 2
    for message in mail.outbox:
        text = f"{message.subject}\n{message.body}"
        assert "Hallo" in text, text  # German, not English
        assert formal_address(text) == [], text
        assert rejected_terms(text) == [], text
    assert "Danke, dass du" in mail.outbox[0].body
