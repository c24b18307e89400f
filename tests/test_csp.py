"""The Content-Security-Policy: sent on every page, strict (no inline script or style, no eval), and
no page of the platform breaks it.

The attack it blunts: markup injected into a page (a comment, a profile, a blueprint description
that slipped past the sanitiser) cannot run script, load script from elsewhere, restyle the page,
post a form to another site or frame the page, because the browser refuses anything the policy
does not name. That holds only while the pages themselves need no 'unsafe-inline'.
"""

import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.urls import reverse
from playwright.sync_api import expect

from blueprints import services as blueprint_services
from challenges.services import challenge_submit_for_funding
from challenges.tests.factories import add_phase, make_challenge, publish
from tests.support import UserFactory

ROOT = Path(__file__).resolve().parent.parent
APPS = ["templates", "core", "community", "challenges", "blueprints", "submissions", "payments"]


def directives(header: str) -> dict[str, list[str]]:
    parts = (part.strip().split() for part in header.split(";") if part.strip())
    return {name: values for name, *values in parts}


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/", "/challenges/", "/accounts/login/", "/api/v1/docs/", "/healthz"])
def test_every_response_carries_a_strict_policy(client, url):
    response = client.get(url)

    header = response["Content-Security-Policy"]
    policy = directives(header)
    assert "unsafe-inline" not in header
    assert "unsafe-eval" not in header
    assert policy["default-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["base-uri"] == ["'self'"]
    assert policy["form-action"] == ["'self'"]


@pytest.mark.django_db
def test_previews_and_uploads_may_use_the_s3_endpoint_browsers_are_given(client):
    """Previews and avatars are presigned S3 URLs, and uploads go straight from the browser to S3."""
    endpoint = urlsplit(settings.S3_PUBLIC_ENDPOINT_URL)
    origin = f"{endpoint.scheme}://{endpoint.netloc}"

    policy = directives(client.get("/")["Content-Security-Policy"])

    assert origin in policy["img-src"]
    assert origin in policy["connect-src"]


INLINE = [
    (re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*\bnonce=)[^>]*>", re.I), "an inline <script> without a nonce"),
    (re.compile(r"<style\b", re.I), "a <style> element"),
    (re.compile(r"\sstyle\s*=", re.I), "a style attribute"),
    (re.compile(r"\son[a-z]+\s*=", re.I), "an inline event handler"),
    (re.compile(r"javascript:", re.I), "a javascript: URL"),
]


TEMPLATE_COMMENT = re.compile(r"{#.*?#}")


def served_templates() -> list[Path]:
    """Every template of the project that becomes a web page (e-mails are not under the policy)."""
    found = []
    for top in APPS:
        for path in sorted((ROOT / top).rglob("*.html")):
            if "email" not in path.relative_to(ROOT).parts and "email" not in path.name:
                found.append(path)
    return found


def test_no_template_needs_unsafe_inline():
    """A page that needs inline script or style would push 'unsafe-inline' back into the policy."""
    offences = [
        f"{path.relative_to(ROOT)}:{number}: {what}"
        for path in served_templates()
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        for pattern, what in INLINE
        if pattern.search(TEMPLATE_COMMENT.sub("", line))
    ]

    assert served_templates()
    assert offences == []


# --- In a real browser ------------------------------------------------------------------------

WATCH_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(
    `${event.violatedDirective} blocked ${event.blockedURI || "inline"} at ${event.sourceFile}:${event.lineNumber}`
  );
});
"""


class PolicyWatch:
    """Collects `securitypolicyviolation` events and the console's CSP errors of one browser tab."""

    def __init__(self, page: Any) -> None:
        self.page = page
        self.console: list[str] = []
        page.add_init_script(WATCH_VIOLATIONS)
        page.on("console", self._on_console)

    def _on_console(self, message: Any) -> None:
        if "Content Security Policy" in message.text or "Content-Security-Policy" in message.text:
            self.console.append(f"{self.page.url}: {message.text}")

    def visit(self, url: str, *, ready: str | None = None) -> list[str]:
        """Open `url`, wait until `ready` (a selector) shows, and return what the policy blocked."""
        response = self.page.goto(url)
        assert response is not None
        assert response.status < 400, f"{url} answered {response.status}"
        if ready:
            expect(self.page.locator(ready).first).to_be_visible(timeout=30_000)
        self.page.wait_for_load_state("networkidle")
        events = self.page.evaluate("window.__cspViolations || []")
        return [f"{url}: {event}" for event in events]


@pytest.fixture
def challenge(member: Any) -> Any:
    """An open two-phase challenge of `member`: the page draws its budget split and timeline."""
    from tests.accounts import confirm_account

    staff = UserFactory.create(email="csp-staff@example.com", is_staff=True)
    challenge = make_challenge(confirm_account(member), title="Snow plough", budget="9000.00")
    add_phase(challenge, kind="concept", prizes=("3000", "1000"))
    add_phase(challenge, kind="front", prizes=("2000",))
    return publish(challenge, staff=staff)


@pytest.fixture
def blueprint(member: Any, live_server: Any) -> Any:
    """A published blueprint of `member` with a PNG sketch and an STL model in the real bucket."""
    from blueprints import storage
    from blueprints.tests import samples
    from blueprints.tests.conftest import draft_of, process_here, send_like_a_browser

    storage.upload_cors_ensure(origins=[live_server.url])  # the viewer fetches the model from S3
    blueprint = blueprint_services.blueprint_create(owner=member, title="Plough blade", category="chassis")
    draft = draft_of(blueprint)
    for name, data in (("sketch.png", samples.png()), ("blade.stl", samples.binary_stl())):
        file, ticket = blueprint_services.upload_start(
            revision=draft, user=member, name=name, size=len(data), content_type=""
        )
        assert send_like_a_browser(ticket.as_dict(), data).status_code in (200, 204)
        blueprint_services.upload_complete(file=file, user=member)
        process_here(file)  # what the worker does; the queued task finds it done
    blueprint_services.revision_publish(revision=draft, user=member, change_notes="First.")
    blueprint.refresh_from_db()
    return blueprint


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_public_pages_break_no_policy_rule(page, challenge, blueprint):
    watch = PolicyWatch(page)
    blocked = []

    blocked += watch.visit("/", ready="main")
    blocked += watch.visit("/challenges/", ready="[data-testid=challenge-list]")
    blocked += watch.visit(reverse("challenges:detail", args=[challenge.slug]), ready=".timeline-row")
    # The charts' bars are sized by the site script (no style attributes): they have a width.
    assert page.locator(".budget-bar span").first.bounding_box()["width"] > 0
    assert page.locator(".timeline-entry").first.bounding_box()["width"] > 0
    blocked += watch.visit("/blueprints/", ready="main")
    blocked += watch.visit(reverse("blueprints:detail", args=[blueprint.slug]), ready="[data-testid=preview]")
    blocked += watch.visit("/members/", ready="[data-testid=directory-filters]")
    blocked += watch.visit("/accounts/login/", ready="input[name=login]")
    blocked += watch.visit("/accounts/signup/", ready="input[name=email]")
    blocked += watch.visit("/api/v1/docs/", ready=".swagger-ui .info")
    blocked += watch.visit("/admin/login/", ready="input[name=login], input[name=username]")

    assert blocked == [], "\n".join(blocked)
    assert watch.console == [], "\n".join(watch.console)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_member_pages_and_the_3d_viewer_break_no_policy_rule(signed_in_page, challenge, blueprint):
    page = signed_in_page
    watch = PolicyWatch(page)
    blocked = []
    model = blueprint.revisions.get(number=1).files.get(original_name="blade.stl")
    in_funding = make_challenge(challenge.owner, title="Gritter", budget="4000.00")
    add_phase(in_funding, prizes=("4000",))
    challenge_submit_for_funding(challenge=in_funding, by=challenge.owner)  # its budget page asks for the money

    blocked += watch.visit(reverse("blueprints:viewer", args=[model.pk]), ready="[data-testid=viewer]")
    expect(page.locator("[data-testid=viewer]")).to_have_attribute("data-state", "shown", timeout=30_000)
    blocked += watch.visit(f"/blueprints/{blueprint.slug}/r/1/", ready="main")
    blocked += watch.visit(reverse("community:notifications"), ready="main")
    blocked += watch.visit(reverse("payments:budget", args=[in_funding.slug]), ready=".money-bar")
    assert page.locator(".money-bar span").first.bounding_box()["width"] > 0
    draft = blueprint_services.revision_create(blueprint=blueprint, user=blueprint.owner)
    blocked += watch.visit(
        reverse("blueprints:upload", args=[blueprint.slug, draft.number]), ready="[data-testid=file-input]"
    )
    for url in ("/accounts/2fa/", "/members/me/tokens/"):
        blocked += watch.visit(url, ready="main")

    # The language switch submits itself (it was an inline onchange handler).
    page.goto("/challenges/")
    page.select_option("#language", "de")
    expect(page.locator("html")).to_have_attribute("lang", "de")

    assert blocked == [], "\n".join(blocked)
    assert watch.console == [], "\n".join(watch.console)
