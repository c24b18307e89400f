"""The main pages of Coachworks, with the data that fills them, for the browser tests that walk every page
(tests/test_responsive.py: no sideways scrolling at any width; tests/test_accessibility.py: axe-core).

The data is the demo data of `make run` (an open challenge with entries, blueprints with a fork, a judge,
funding, bank accounts, the completed Sahel ambulance with its vehicle dossier) plus a second challenge
of the demo client whose phase is in judging, so the judge's scoring page and public entries exist, and
a draft challenge for the posting wizard's steps.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from io import StringIO
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.test import Client

SIGNED_OUT = "signed out"
MEMBER = "member"  # Ada, who entered both challenges and owns the concept sketch
JUDGE = "judge"  # Mira, judge of both challenges of the client
CLIENT = "client"  # Alpine Logistics, who posted both challenges

WIDTHS = (320, 390, 768, 1366)
LANGUAGES = ("en", "de")


@dataclass(frozen=True)
class Site:
    users: dict[str, Any]
    challenge: Any  # open, its concept phase taking entries
    open_phase: Any
    own_entry: Any  # Ada's entry in the open phase (sealed: hers to see)
    judging_challenge: Any
    judging_phase: Any
    public_entry: Any  # Ada's entry in the phase being judged (public)
    blueprint: Any  # Ada's concept sketch
    fork: Any  # Jonas's fork of it
    draft_challenge: Any  # the client's challenge still being written in the wizard
    completed_challenge: Any  # the client's completed Sahel ambulance, with its vehicle dossier


def build_site() -> Site:
    from blueprints.models import Blueprint
    from challenges.models import Challenge
    from challenges.tests.factories import make_challenge
    from community.demo import demo_user
    from community.models import User
    from submissions.models import Entry
    from submissions.tests.factories import enter, open_phase, to_judging

    call_command("load_demo_data", stdout=StringIO())
    member, judge, client, staff = (demo_user(role) for role in ("member", "judge", "client", "staff"))
    jonas = User.objects.get(email__iexact="jonas@demo.coachworks.test")
    challenge = Challenge.objects.get(owner=client, title="Alpine delivery van")
    blueprint = Blueprint.objects.get(slug="sahel-ambulance-concept")
    fork = Blueprint.objects.get(slug="sahel-ambulance-lower-roof")
    own_entry = Entry.objects.select_related("phase").get(phase__challenge=challenge, lead_author=member)

    judging_phase = open_phase(client, staff, judges=[judge], title="Winter rescue truck for steep forest roads")
    # A title with a word longer than a phone is wide: it must break, not widen the page.
    long_title = "Rescue truck: a-long-name-without-any-space-that-must-break-on-a-phone-screen-somewhere"
    public_entry = enter(judging_phase, member, blueprint=blueprint, title=long_title)
    enter(judging_phase, jonas, blueprint=fork, title="Lower roof rescue truck")
    to_judging(judging_phase)

    draft = make_challenge(client, title="Electric tractor for terraced vineyards", budget="20000")
    completed = Challenge.objects.get(owner=client, title="Sahel ambulance")
    return Site(
        users={MEMBER: member, JUDGE: judge, CLIENT: client},
        challenge=challenge,
        open_phase=own_entry.phase,
        own_entry=own_entry,
        judging_challenge=judging_phase.challenge,
        judging_phase=judging_phase,
        public_entry=public_entry,
        blueprint=blueprint,
        fork=fork,
        draft_challenge=draft,
        completed_challenge=completed,
    )


@dataclass(frozen=True)
class MainPage:
    name: str
    path: Callable[[Site], str]
    roles: tuple[str, ...]  # who opens it: SIGNED_OUT and/or the signed-in role it is about
    english_only: bool = False  # a page whose content is not translated (and says so with lang="en")
    ready: str = ""  # for a page that renders after loading: what shows once it has


ANYONE = (SIGNED_OUT, MEMBER)

MAIN_PAGES = (
    MainPage("home", lambda s: "/", ANYONE),
    MainPage("challenge list", lambda s: "/challenges/", ANYONE),
    MainPage("challenge page", lambda s: s.challenge.get_absolute_url(), (SIGNED_OUT, MEMBER, CLIENT)),
    MainPage("phase gallery", lambda s: f"/entries/phases/{s.judging_phase.pk}/", ANYONE),
    MainPage("entry page", lambda s: f"/entries/{s.public_entry.pk}/", ANYONE),
    MainPage("own entry page", lambda s: f"/entries/{s.own_entry.pk}/", (MEMBER,)),
    MainPage("enter page", lambda s: f"/entries/phases/{s.open_phase.pk}/enter/", (MEMBER,)),
    MainPage("judging list", lambda s: "/entries/judging/", (JUDGE,)),
    MainPage("judge page", lambda s: f"/entries/phases/{s.judging_phase.pk}/judging/", (JUDGE,)),
    MainPage("score page", lambda s: f"/entries/{s.public_entry.pk}/score/", (JUDGE,)),
    MainPage("blueprint library", lambda s: "/blueprints/", ANYONE),
    MainPage("blueprint search", lambda s: "/blueprints/?q=ambulance", ANYONE),
    MainPage("blueprint page", lambda s: f"/blueprints/{s.blueprint.slug}/", ANYONE),
    MainPage("fork page", lambda s: f"/blueprints/{s.fork.slug}/", (SIGNED_OUT, MEMBER)),
    MainPage("revision page", lambda s: f"/blueprints/{s.fork.slug}/r/1/", ANYONE),
    MainPage("new blueprint", lambda s: "/blueprints/new/", (MEMBER,)),
    MainPage("member directory", lambda s: "/members/", ANYONE),
    MainPage("profile", lambda s: f"/members/{s.users[MEMBER].pk}/", ANYONE),
    MainPage("profile edit", lambda s: "/members/me/", (MEMBER,)),
    MainPage("notifications", lambda s: "/members/notifications/", (MEMBER,)),
    MainPage("leaderboard", lambda s: "/members/leaderboard/", ANYONE),
    MainPage("my entries", lambda s: "/entries/mine/", (MEMBER,)),
    MainPage("earnings", lambda s: "/money/earnings/", (MEMBER,)),
    MainPage("payout methods", lambda s: "/money/payout-methods/", (MEMBER,)),
    MainPage("budget page", lambda s: f"/money/challenges/{s.challenge.slug}/budget/", (CLIENT,)),
    MainPage("wizard: new challenge", lambda s: "/challenges/new/", (CLIENT,)),
    MainPage("wizard: brief", lambda s: f"/challenges/{s.draft_challenge.slug}/edit/brief/", (CLIENT,)),
    MainPage("wizard: phases", lambda s: f"/challenges/{s.draft_challenge.slug}/edit/phases/", (CLIENT,)),
    MainPage("wizard: judges", lambda s: f"/challenges/{s.draft_challenge.slug}/edit/judges/", (CLIENT,)),
    MainPage("wizard: review", lambda s: f"/challenges/{s.draft_challenge.slug}/edit/review/", (CLIENT,)),
    MainPage(
        "vehicle dossier", lambda s: f"/challenges/{s.completed_challenge.slug}/dossier/", (SIGNED_OUT, MEMBER, CLIENT)
    ),
    MainPage(
        "start again from a dossier",
        lambda s: (
            f"/challenges/{s.completed_challenge.slug}/dossier/v{s.completed_challenge.dossier.latest_number}/start-again/"
        ),
        (CLIENT,),
    ),
    MainPage("sign-in", lambda s: "/accounts/login/", (SIGNED_OUT,)),
    MainPage("sign-up", lambda s: "/accounts/signup/", (SIGNED_OUT,)),
    MainPage("API docs", lambda s: "/api/v1/docs/", ANYONE, english_only=True, ready=".swagger-ui .opblock"),
)

ROLES = (SIGNED_OUT, MEMBER, JUDGE, CLIENT)


def session_cookie(base_url: str, user: Any) -> dict[str, Any]:
    """A session of `user`, as signing in leaves it (e-mail confirmed by the demo data), for the browser."""
    client = Client()
    client.force_login(user)
    return {"name": settings.SESSION_COOKIE_NAME, "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
            "url": base_url}  # fmt: skip


def visits(chromium: Any, base_url: str, site: Site, language: str) -> Iterator[tuple[Any, str, MainPage, str]]:
    """Open every main page as every role it applies to, in `language`, in one browser tab.

    Yields (page, role, main page, url) with the page loaded; the caller measures it (and may resize it).
    """
    context = chromium.new_context(base_url=base_url, locale="de-DE" if language == "de" else "en-GB")
    language_cookie = {"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": base_url}
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        for role in ROLES:
            context.clear_cookies()
            cookies = [language_cookie]
            if role != SIGNED_OUT:
                cookies.append(session_cookie(base_url, site.users[role]))
            context.add_cookies(cookies)
            for main_page in MAIN_PAGES:
                if role not in main_page.roles:
                    continue
                url = main_page.path(site)
                response = page.goto(url, wait_until="load")
                assert response is not None
                assert response.status == 200, f"{main_page.name} ({url}) as {role}: HTTP {response.status}"
                if main_page.ready:
                    page.wait_for_selector(main_page.ready, timeout=60_000)
                expected = "en" if main_page.english_only else language
                assert page.get_attribute("html", "lang") == expected, (
                    f"{main_page.name} as {role} is not in {expected}"
                )
                yield page, role, main_page, url
    finally:
        context.close()


# The elements that stick out past the right edge of the window, for a failure message that says where to look.
OVERFLOWING_ELEMENTS = """() => {
  const limit = window.innerWidth;
  const found = [];
  for (const element of document.querySelectorAll("body *")) {
    const box = element.getBoundingClientRect();
    if (box.right > limit + 0.5 && box.width > 0) {
      let inScroller = false;
      for (let parent = element.parentElement; parent; parent = parent.parentElement) {
        const overflow = getComputedStyle(parent).overflowX;
        if (overflow === "auto" || overflow === "scroll" || overflow === "hidden") { inScroller = true; break; }
      }
      if (!inScroller) {
        const classes = typeof element.className === "string" ? element.className.trim().split(/\\s+/) : [];
        const name = element.tagName.toLowerCase() + (element.id ? "#" + element.id : "") +
          classes.filter(Boolean).map(part => "." + part).join("");
        found.push(name + " right=" + Math.round(box.right));
      }
    }
  }
  return found.slice(0, 8);
}"""
