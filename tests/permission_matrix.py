"""Who gets what: the expected outcome of every route x role x method (`tests/test_permission_matrix.py`).

Roles: `anonymous`; `member` (signed in, owns nothing here); `other_member` (signed in, with a
blueprint and an entry of their own in the same phase: a rival); `owner` (the owner of the object
the route is about: the client of the challenge, the author of the blueprint, entry, comment or
payout, or the invitee of an invitation; each case says which); `other_client` (owns another
challenge); `judge` (accepted judge of this challenge); `other_judge` (judge of another challenge);
`staff`.

An outcome is a status code, or `login` (a redirect to the sign-in page), `admin-login` (to the
admin's), `redirect` (elsewhere). GETs say what each role may see: hidden is 404 (existence stays
private), visible but not allowed is 403. Unsafe requests carry an empty body: what matters is
that a refused request changes nothing; allowed roles get 400 (invalid input), 409 (state forbids
it), or, on pages, the form again (200) or a redirect after the change (rolled back by the test).
API errors follow the contract: 401 not signed in, 403 not allowed, 404 not visible, 409 conflict.

Specs are written `"anonymous:login owner,staff:200 *:403"`: roles (comma-separated) and their
outcome; `*` is every role not named.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass

ROLES = ("anonymous", "member", "other_member", "owner", "other_client", "judge", "other_judge", "staff")
METHODS = ("get", "post", "put", "patch", "delete")


def outcomes(spec: str) -> dict[str, str]:
    """`"anonymous:login owner,staff:200 *:403"` -> one outcome per role."""
    named: dict[str, str] = {}
    rest = None
    for part in spec.split():
        roles, _, result = part.rpartition(":")
        roles = roles or "*"
        if roles == "*":
            rest = result
            continue
        for role in roles.split(","):
            if role not in ROLES:
                raise ValueError(f"unknown role {role!r} in {spec!r}")
            named[role] = result
    if rest is None and len(named) < len(ROLES):
        raise ValueError(f"{spec!r} leaves roles out; end it with `*:<outcome>`")
    return {role: named.get(role, rest or "") for role in ROLES}


def compact(per_role: Mapping[str, str]) -> str:
    """The inverse of `outcomes`: the commonest outcome as `*`."""
    common = Counter(per_role.values()).most_common(1)[0][0]
    by_outcome: dict[str, list[str]] = {}
    for role in ROLES:
        if per_role[role] != common:
            by_outcome.setdefault(per_role[role], []).append(role)
    return " ".join([f"{','.join(roles)}:{result}" for result, roles in by_outcome.items()] + [f"*:{common}"])


@dataclass(frozen=True)
class Case:
    kwargs: Mapping[str, str]  # URL kwarg -> attribute path in the world ("challenge.slug")
    methods: Mapping[str, Mapping[str, str]]  # method -> role -> outcome
    owner: str = "client"  # who plays `owner` here
    note: str = ""
    body: object = None  # a minimal valid body (strings "@path" are read from the world), else empty


MATRIX: dict[str, list[Case]] = {}


def R(route: str, *, owner: str = "client", note: str = "", body: object = None, **rest: str) -> None:  # noqa: N802
    """One case of `route`: URL kwargs (`slug="challenge.slug"`) and a spec per method (`get="*:200"`)."""
    methods = {method: outcomes(rest.pop(method)) for method in METHODS if method in rest}
    MATRIX.setdefault(route, []).append(Case(kwargs=rest, methods=methods, owner=owner, note=note, body=body))


# Route groups covered as a whole (see ADMIN and test_every_admin_model_is_covered_by_the_admin_group).
GROUPS = ("/admin/",)
# Staff reach the admin after a two-factor sign-in (password and code); everyone else meets its sign-in page.
ADMIN = outcomes("anonymous:admin-login staff:200 *:admin-login")

# Shorthands for the commonest rows.
EVERYONE = "*:200"
SIGNED_IN = "anonymous:login *:200"  # a page of one's own: every signed-in member has one
GET_ONLY = "anonymous:login *:405"  # a POST-only action asked with GET
API_SIGNED_IN = "anonymous:401 *:200"
EDITORS = "owner,staff"  # the client who owns the challenge, and staff

# --- site, accounts (allauth), i18n ------------------------------------------------------------

R("/", get=EVERYONE)
R("/healthz", get=EVERYONE, post="*:405")
R("/healthz/live", get=EVERYONE, post="*:405")
R("/favicon.ico", get=EVERYONE, post="*:405")
R("/dev/mails/", get="*:404", post="*:405", note="DEBUG only (tests run with DEBUG off)")
DEV_MAIL = "/dev/mails/20261130T081500123456Z-0123456789abcdef0123456789abcdef.eml/"
R("/dev/mails/<str:name>/", url=DEV_MAIL, get="*:404", post="*:405")
R("/i18n/setlang/", get="*:redirect", post="*:redirect")
R("/accounts/login/", get="anonymous:200 *:redirect", post="anonymous:200 *:redirect")
R("/accounts/logout/", get="anonymous:redirect *:200", post="*:redirect")
R("/accounts/inactive/", get=EVERYONE, post="*:405")
R("/accounts/signup/", get="anonymous:200 *:redirect", post="anonymous:200 *:redirect")
R("/accounts/reauthenticate/", get=SIGNED_IN, post=SIGNED_IN)
R("/accounts/reauthenticate/code/", get=SIGNED_IN, post=SIGNED_IN)
R("/accounts/reauthenticate/code/confirm/", get="anonymous:login *:redirect", post="anonymous:login *:redirect")
R("/accounts/email/", get=SIGNED_IN, post="anonymous:login *:redirect")
R("/accounts/confirm-email/", get=EVERYONE, post="*:405")
R("/accounts/password/change/", get=SIGNED_IN, post=SIGNED_IN)
R("/accounts/password/set/", get="anonymous:login *:redirect", post="anonymous:login *:redirect")
R("/accounts/password/reset/", get=EVERYONE, post=EVERYONE)
R("/accounts/login/code/confirm/", get="anonymous:login *:redirect", post="anonymous:login *:redirect")
R("/accounts/^confirm-email/(?P<key>[-:\\w]+)/$", url="/accounts/confirm-email/forged-key/", get=EVERYONE, post="*:404")
R("/accounts/password/reset/key/done/", get=EVERYONE, post="*:405")
R(
    "/accounts/^password/reset/key/(?P<uidb36>[0-9A-Za-z]+)-(?P<key>.+)/$",
    url="/accounts/password/reset/key/1-forged-key/",
    get=EVERYONE,
    post=EVERYONE,
)
R("/accounts/password/reset/done/", get=EVERYONE, post="*:405")
# Two-factor pages; only staff have an authenticator in this world.
R("/accounts/2fa/", get=SIGNED_IN, post="anonymous:login *:405")
R("/accounts/2fa/authenticate/", get="anonymous:login *:redirect", post="anonymous:login *:redirect")
R(
    "/accounts/2fa/reauthenticate/",
    get="anonymous:login staff:200 *:redirect",
    post="anonymous:login staff:200 *:redirect",
)
R("/accounts/2fa/totp/activate/", get="anonymous:login *:redirect", post="anonymous:login *:redirect")
R(
    "/accounts/2fa/totp/deactivate/",
    get="anonymous:login staff:redirect *:404",
    post="anonymous:login staff:redirect *:404",
)
R("/accounts/2fa/recovery-codes/", get="anonymous:login *:404", post="anonymous:login *:405")
R("/accounts/2fa/recovery-codes/generate/", get="anonymous:login *:redirect", post="anonymous:login *:redirect")
R("/accounts/2fa/recovery-codes/download/", get="anonymous:login *:404", post="anonymous:login *:404")

# --- community pages ---------------------------------------------------------------------------

R("/members/", get=EVERYONE)
R("/members/me/", owner="author", get=SIGNED_IN, post=SIGNED_IN)
R("/members/me/following/", owner="author", get=SIGNED_IN, post=SIGNED_IN)
R("/members/me/tokens/", owner="author", get=SIGNED_IN, post=SIGNED_IN)
R(
    "/members/me/tokens/<int:pk>/revoke/",
    owner="author",
    pk="api_token.pk",
    get=GET_ONLY,
    post="anonymous:login owner:redirect *:404",
)
R("/members/leaderboard/", get=EVERYONE)
R("/members/reputation/", get=EVERYONE)
R("/members/notifications/", owner="author", get=SIGNED_IN)
R("/members/notifications/read/", owner="author", get=GET_ONLY, post="anonymous:login *:redirect")
# The signed token is the proof (one-click unsubscribe from a mail client): no sign-in needed.
R("/members/unsubscribe/<str:token>/", owner="author", token="unsubscribe_token", get=EVERYONE, post=EVERYONE)
# Commenting on or following a draft one cannot see: as if it did not exist.
_on_draft = {"target": "challenges.challenge", "object_id": "@draft.pk", "body": "Hello"}
R("/members/comments/", body=_on_draft, get=GET_ONLY, post="anonymous:login owner,staff:redirect *:404")
R("/members/follow/", body=_on_draft, get=GET_ONLY, post="anonymous:login owner,staff:redirect *:404")
# Edits of someone else's comment are refused with a message on the page they came from.
R("/members/comments/<int:pk>/edit/", owner="author", pk="comment.pk", get=GET_ONLY, post="anonymous:login *:redirect")
R(
    "/members/comments/<int:pk>/report/",
    owner="author",
    pk="comment.pk",
    get=GET_ONLY,
    post="anonymous:login *:redirect",
)
R("/members/<int:pk>/", owner="author", pk="author.pk", get=EVERYONE)

# --- challenge pages ---------------------------------------------------------------------------

R("/challenges/", get=EVERYONE)
R("/challenges/new/", get=SIGNED_IN, post=SIGNED_IN)
R("/challenges/dashboard/", get=SIGNED_IN)
R(
    "/challenges/invitations/<str:token>/",
    owner="invitee",
    token="pending.token",
    note="a judge invitation: only the invitee may answer",
    get=SIGNED_IN,
    post="anonymous:login owner:redirect *:403",
)
R(
    "/challenges/judging/<int:pk>/conflicts/",
    owner="judge",
    pk="assignment.pk",
    get="anonymous:login owner,judge:200 *:404",
    post="anonymous:login owner,judge:200 *:404",
)
R("/challenges/<slug:slug>/", slug="challenge.slug", note="open", get=EVERYONE)
R("/challenges/<slug:slug>/", slug="private.slug", note="invite-only", get=f"{EDITORS}:200 *:404")
R("/challenges/<slug:slug>/", slug="draft.slug", note="draft", get=f"{EDITORS}:200 *:404")
R(
    "/challenges/<slug:slug>/edit/brief/",
    slug="challenge.slug",
    note="open",
    get=f"anonymous:login {EDITORS}:200 *:403",
    post=f"anonymous:login {EDITORS}:200 *:403",
)
for _c in ("private", "draft"):
    R(
        "/challenges/<slug:slug>/edit/brief/",
        slug=f"{_c}.slug",
        note=_c,
        get=f"anonymous:login {EDITORS}:200 *:404",
        post=f"anonymous:login {EDITORS}:200 *:404",
    )
R(
    "/challenges/<slug:slug>/edit/phases/",
    slug="challenge.slug",
    get=f"anonymous:login {EDITORS}:200 *:403",
    post=f"anonymous:login {EDITORS}:200 *:403",
)
R(
    "/challenges/<slug:slug>/edit/phases/",
    slug="draft.slug",
    note="draft",
    get=f"anonymous:login {EDITORS}:200 *:404",
    post=f"anonymous:login {EDITORS}:200 *:404",
)
R(
    "/challenges/<slug:slug>/edit/phases/<int:pk>/",
    slug="draft.slug",
    pk="draft_phase.pk",
    get=f"anonymous:login {EDITORS}:200 *:404",
    post=f"anonymous:login {EDITORS}:200 *:404",
)
R(
    "/challenges/<slug:slug>/edit/phases/<int:pk>/delete/",
    slug="draft.slug",
    pk="draft_phase.pk",
    get=GET_ONLY,
    post=f"anonymous:login {EDITORS}:redirect *:404",
)
R(
    "/challenges/<slug:slug>/edit/judges/",
    slug="challenge.slug",
    get=f"anonymous:login {EDITORS}:200 *:403",
    post=f"anonymous:login {EDITORS}:200 *:403",
)
R(
    "/challenges/<slug:slug>/edit/judges/<int:pk>/remove/",
    slug="challenge.slug",
    pk="pending.pk",
    get=GET_ONLY,
    post=f"anonymous:login {EDITORS}:redirect *:403",
)
R(
    "/challenges/<slug:slug>/edit/invitations/<int:pk>/remove/",
    slug="private.slug",
    pk="invitation.pk",
    get=GET_ONLY,
    post=f"anonymous:login {EDITORS}:redirect *:404",
)
R(
    "/challenges/<slug:slug>/edit/review/",
    slug="draft.slug",
    get=f"anonymous:login {EDITORS}:200 *:404",
    post=f"anonymous:login {EDITORS}:redirect *:404",
)
R(
    "/challenges/<slug:slug>/withdraw/",
    slug="draft.slug",
    get=GET_ONLY,
    post=f"anonymous:login {EDITORS}:redirect *:404",
)
R(
    "/challenges/<slug:slug>/cancel/",
    slug="challenge.slug",
    get=GET_ONLY,
    post=f"anonymous:login {EDITORS}:redirect *:403",
)
R("/challenges/<slug:slug>/phases/<int:pk>/", slug="challenge.slug", pk="phase.pk", get=EVERYONE)
R(
    "/challenges/<slug:slug>/phases/<int:pk>/",
    slug="draft.slug",
    pk="draft_phase.pk",
    note="draft",
    get=f"{EDITORS}:200 *:404",
)
# Closing the phase early: the owner, its judges and staff may try (the rules decide, shown as a message).
R(
    "/challenges/<slug:slug>/phases/<int:pk>/move/",
    slug="challenge.slug",
    pk="phase.pk",
    body={"to": "judging"},
    get=GET_ONLY,
    post="anonymous:login owner,judge,staff:redirect *:403",
)

# --- blueprint pages (owner: the author) -------------------------------------------------------

R("/blueprints/", get=EVERYONE)
R("/blueprints/mine/", get=SIGNED_IN)
R("/blueprints/new/", get=SIGNED_IN, post=SIGNED_IN)
# Published files: every signed-in member downloads and views them (open source); drafts: author and staff.
R("/blueprints/files/<int:pk>/download/", owner="author", pk="file.pk", get="anonymous:login *:redirect")
R("/blueprints/files/<int:pk>/view/", owner="author", pk="file.pk", get=SIGNED_IN)
R(
    "/blueprints/files/<int:pk>/remove/",
    owner="author",
    pk="file.pk",
    get=GET_ONLY,
    post="anonymous:login owner:redirect *:403",
)
R(
    "/blueprints/files/<int:pk>/download/",
    owner="author",
    pk="draft_file.pk",
    note="draft",
    get="anonymous:login owner,staff:redirect *:404",
)
R(
    "/blueprints/files/<int:pk>/view/",
    owner="author",
    pk="draft_file.pk",
    note="draft",
    get="anonymous:login owner,staff:200 *:404",
)
R(
    "/blueprints/files/<int:pk>/remove/",
    owner="author",
    pk="draft_file.pk",
    note="draft",
    get=GET_ONLY,
    post="anonymous:login owner:redirect staff:403 *:404",
)
R("/blueprints/compare/<int:old>/<int:new>/", owner="author", old="r1.pk", new="r2.pk", get=EVERYONE)
R(
    "/blueprints/compare/<int:old>/<int:new>/",
    owner="author",
    old="r2.pk",
    new="r3.pk",
    note="with a draft",
    get="owner,staff:200 *:404",
)
R("/blueprints/<slug:slug>/", owner="author", slug="blueprint.slug", get=EVERYONE)
R(
    "/blueprints/<slug:slug>/edit/",
    owner="author",
    slug="blueprint.slug",
    get="anonymous:login owner:200 *:403",
    post="anonymous:login owner:200 *:403",
)
R(
    "/blueprints/<slug:slug>/fork/",
    owner="author",
    slug="blueprint.slug",
    get=GET_ONLY,
    post="anonymous:login *:redirect",
)
# Hiding is moderation (staff); deleting and new revisions are the author's.
R(
    "/blueprints/<slug:slug>/hide/",
    owner="author",
    slug="blueprint.slug",
    get=GET_ONLY,
    post="anonymous:login staff:redirect *:403",
)
for _name in ("delete/", "revisions/new/"):
    R(
        f"/blueprints/<slug:slug>/{_name}",
        owner="author",
        slug="blueprint.slug",
        get=GET_ONLY,
        post="anonymous:login owner:redirect *:403",
    )
_r2 = {"owner": "author", "slug": "blueprint.slug", "number": "r2.number", "note": "published"}
_r3 = {"owner": "author", "slug": "blueprint.slug", "number": "r3.number", "note": "draft"}
R("/blueprints/<slug:slug>/r/<int:number>/", **_r2, get=EVERYONE)
R("/blueprints/<slug:slug>/r/<int:number>/", **_r3, get="owner,staff:200 *:404")
R(
    "/blueprints/<slug:slug>/r/<int:number>/upload/",
    **_r2,
    get="anonymous:login owner:redirect *:403",
    post="anonymous:login owner:redirect *:403",
)
# A draft is its author's and staff's to see: to everyone else it does not exist (404).
R(
    "/blueprints/<slug:slug>/r/<int:number>/upload/",
    **_r3,
    get="anonymous:login owner:200 staff:403 *:404",
    post="anonymous:login owner:200 staff:403 *:404",
)
R("/blueprints/<slug:slug>/r/<int:number>/publish/", **_r2, get=GET_ONLY, post="anonymous:login owner:redirect *:403")
R(
    "/blueprints/<slug:slug>/r/<int:number>/publish/",
    **_r3,
    get=GET_ONLY,
    post="anonymous:login owner:redirect staff:403 *:404",
)
# A published revision is removed only by staff (moderation); a draft only by its author.
R(
    "/blueprints/<slug:slug>/r/<int:number>/delete/",
    **_r2,
    get=GET_ONLY,
    post="anonymous:login staff:redirect *:403",
)
R(
    "/blueprints/<slug:slug>/r/<int:number>/delete/",
    **_r3,
    get=GET_ONLY,
    post="anonymous:login owner:redirect staff:403 *:404",
)

# --- entry pages (a sealed, open phase: its entries are seen by their author, the judges and staff) ----

R("/entries/mine/", owner="author", get=SIGNED_IN)
R("/entries/judging/", owner="judge", get=SIGNED_IN)
R("/entries/phases/<int:phase_pk>/", phase_pk="phase.pk", get=EVERYONE)
R("/entries/phases/<int:phase_pk>/enter/", phase_pk="phase.pk", get=SIGNED_IN, post=SIGNED_IN)
for _name in ("judging/", "award/"):
    R(
        f"/entries/phases/<int:phase_pk>/{_name}",
        phase_pk="phase.pk",
        get="anonymous:login owner,judge,staff:200 *:403",
        post="anonymous:login owner,judge,staff:200 *:403",
    )
R(
    "/entries/phases/<int:phase_pk>/unscored/",
    phase_pk="phase.pk",
    get=GET_ONLY,
    post="anonymous:login owner,judge,staff:redirect *:403",
)
R(
    "/entries/challenges/<slug:slug>/rules/",
    slug="challenge.slug",
    get=f"anonymous:login {EDITORS}:200 *:403",
    post=f"anonymous:login {EDITORS}:200 *:403",
)
SEALED = "owner,judge,staff"
R("/entries/<int:pk>/", owner="author", pk="entry.pk", get=f"{SEALED}:200 *:404")
R(
    "/entries/<int:pk>/",
    owner="client",
    pk="entry.pk",
    note="the client of the challenge does not see sealed entries either",
    get="judge,staff:200 *:404",
)
# Actions on the entry: who cannot see it gets 404; who sees it is refused with a message (or allowed).
for _name in ("vote/", "submit/", "withdraw/", "disqualify/", "co-author-answer/"):
    R(
        f"/entries/<int:pk>/{_name}",
        owner="author",
        pk="entry.pk",
        get=GET_ONLY,
        post=f"anonymous:login {SEALED}:redirect *:404",
    )
for _name in ("revision/", "co-authors/"):
    R(
        f"/entries/<int:pk>/{_name}",
        owner="author",
        pk="entry.pk",
        get=GET_ONLY,
        post="anonymous:login owner:200 judge,staff:redirect *:404",
    )
R(
    "/entries/<int:pk>/score/",
    owner="author",
    pk="entry.pk",
    get="anonymous:login judge:200 owner,staff:403 *:404",
    post="anonymous:login judge:200 owner,staff:403 *:404",
)

# --- money pages -------------------------------------------------------------------------------

R("/money/earnings/", owner="author", get=SIGNED_IN)
R("/money/earnings/statement.csv", owner="author", get=SIGNED_IN)
R("/money/earnings/statement.pdf", owner="author", get=SIGNED_IN)
R("/money/payout-methods/", owner="author", get=SIGNED_IN, post=SIGNED_IN)
R(
    "/money/payout-methods/<int:pk>/remove/",
    owner="author",
    pk="payout_method.pk",
    get=GET_ONLY,
    post="anonymous:login owner:redirect *:404",
)
R(
    "/money/challenges/<slug:slug>/budget/",
    slug="challenge.slug",
    get=f"anonymous:login {EDITORS}:200 *:404",
    post=f"anonymous:login {EDITORS}:200 *:404",
)

# --- API: community ----------------------------------------------------------------------------

A = "/api/v1/"
R(f"{A}me/", owner="author", get=API_SIGNED_IN, patch=API_SIGNED_IN)
R(f"{A}members/", get=EVERYONE)
R(f"{A}members/<int:pk>/", owner="author", pk="author.pk", get=EVERYONE)
R(f"{A}leaderboard/", get=EVERYONE)
R(f"{A}follows/", owner="author", get=API_SIGNED_IN, post="anonymous:401 *:400")
R(f"{A}follows/", body=_on_draft, note="a draft", post=f"anonymous:401 {EDITORS}:201 *:404")
R(f"{A}follows/<int:pk>/", owner="author", pk="follow.pk", delete="anonymous:401 owner:204 *:404")
R(f"{A}comments/", note="no target named", get="*:400", post="anonymous:401 *:400")
R(f"{A}comments/", body=_on_draft, note="on a draft", post=f"anonymous:401 {EDITORS}:201 *:404")
R(
    f"{A}comments/<int:pk>/",
    owner="author",
    pk="comment.pk",
    body={"body": "Edited"},
    patch="anonymous:401 owner:200 *:403",
)
R(
    f"{A}comments/<int:pk>/report/",
    owner="author",
    pk="comment.pk",
    body={"reason": "Rude"},
    post="anonymous:401 owner:403 *:201",
)
R(
    f"{A}comments/<int:pk>/hide/",
    owner="author",
    pk="comment.pk",
    body={"reason": "Spam"},
    post="anonymous:401 staff:200 *:403",
)
R(f"{A}notifications/", owner="author", get=API_SIGNED_IN)
R(f"{A}notifications/read/", owner="author", post=API_SIGNED_IN)
R(f"{A}tokens/", owner="author", get=API_SIGNED_IN, post="anonymous:401 *:400")
R(
    f"{A}tokens/<int:pk>/",
    owner="author",
    pk="api_token.pk",
    get="anonymous:401 owner:200 *:404",
    delete="anonymous:401 owner:204 *:404",
)

# --- API: challenges ---------------------------------------------------------------------------

R(f"{A}challenges/", get=EVERYONE, post="anonymous:401 *:400")
R(f"{A}challenges/<int:pk>/", pk="challenge.pk", note="open", get=EVERYONE, patch=f"anonymous:401 {EDITORS}:200 *:403")
R(f"{A}challenges/<int:pk>/transitions/", pk="challenge.pk", note="open", get=EVERYONE)
R(
    f"{A}challenges/<int:pk>/transitions/",
    pk="challenge.pk",
    note="cancel the open challenge: staff only",
    body={"to": "cancelled"},
    post="anonymous:401 staff:200 *:403",
)
for _name in ("phases/", "judges/"):
    R(
        f"{A}challenges/<int:pk>/{_name}",
        pk="challenge.pk",
        note="open",
        get=EVERYONE,
        post=f"anonymous:401 {EDITORS}:400 *:403",
    )
R(
    f"{A}challenges/<int:pk>/invitations/",
    pk="challenge.pk",
    note="open",
    get=f"anonymous:401 {EDITORS}:200 *:403",
    post=f"anonymous:401 {EDITORS}:400 *:403",
)
# Hidden challenges (invite-only, draft): every route answers 404 to whoever may not see them.
HIDDEN_READ = f"anonymous:401 {EDITORS}:200 *:404"
for _c in ("private", "draft"):
    R(
        f"{A}challenges/<int:pk>/",
        pk=f"{_c}.pk",
        note=_c,
        get=f"{EDITORS}:200 *:404",
        patch=f"anonymous:401 {EDITORS}:200 *:404",
    )
    for _name in ("transitions/", "phases/", "judges/", "invitations/"):
        R(
            f"{A}challenges/<int:pk>/{_name}",
            pk=f"{_c}.pk",
            note=_c,
            get=HIDDEN_READ if _name == "invitations/" else f"{EDITORS}:200 *:404",
            post=f"anonymous:401 {EDITORS}:400 *:404",
        )
R(
    f"{A}challenges/<int:pk>/invitations/<int:invitation_pk>/",
    pk="private.pk",
    invitation_pk="invitation.pk",
    delete=f"anonymous:401 {EDITORS}:204 *:404",
)
R(
    f"{A}phases/<int:pk>/",
    pk="phase.pk",
    note="open",
    get=EVERYONE,
    patch=f"anonymous:401 {EDITORS}:200 *:403",
    delete=f"anonymous:401 {EDITORS}:409 *:403",
)
R(f"{A}phases/<int:pk>/transitions/", pk="phase.pk", note="open", get=EVERYONE)
R(
    f"{A}phases/<int:pk>/transitions/",
    pk="phase.pk",
    note="close early",
    body={"to": "judging"},
    post="anonymous:401 owner,staff:200 judge:403 *:403",
)
for _name in ("prizes/", "criteria/"):
    R(f"{A}phases/<int:pk>/{_name}", pk="phase.pk", note="open", get=EVERYONE, put=f"anonymous:401 {EDITORS}:400 *:403")
for _p, _delete in (("private_phase", "409"), ("draft_phase", "204")):
    R(
        f"{A}phases/<int:pk>/",
        pk=f"{_p}.pk",
        note=_p,
        get=f"{EDITORS}:200 *:404",
        patch=f"anonymous:401 {EDITORS}:200 *:404",
        delete=f"anonymous:401 {EDITORS}:{_delete} *:404",
    )
    R(
        f"{A}phases/<int:pk>/transitions/",
        pk=f"{_p}.pk",
        note=_p,
        get=f"{EDITORS}:200 *:404",
        post=f"anonymous:401 {EDITORS}:400 *:404",
    )
    for _name in ("prizes/", "criteria/"):
        R(
            f"{A}phases/<int:pk>/{_name}",
            pk=f"{_p}.pk",
            note=_p,
            get=f"{EDITORS}:200 *:404",
            put=f"anonymous:401 {EDITORS}:400 *:404",
        )
R(
    f"{A}judge-assignments/<int:pk>/",
    owner="judge",
    pk="assignment.pk",
    note="the judge's own assignment",
    get="anonymous:401 owner,judge,staff:200 *:404",
    delete="anonymous:401 owner,judge:403 staff:204 *:404",
)
R(
    f"{A}judge-assignments/<int:pk>/",
    owner="client",
    pk="assignment.pk",
    note="the client withdraws a judge of their challenge",
    get="anonymous:401 owner,judge,staff:200 *:404",
    delete="anonymous:401 owner,staff:204 judge:403 *:404",
)
R(
    f"{A}judge-assignments/<int:pk>/respond/",
    owner="invitee",
    pk="pending.pk",
    body={"accept": False},
    post="anonymous:401 owner:200 staff:403 *:404",
)
R(
    f"{A}judge-assignments/<int:pk>/conflicts/",
    owner="judge",
    pk="assignment.pk",
    body={"has_conflict": False},
    post="anonymous:401 owner,judge:200 staff:403 *:404",
)
R(f"{A}transitions/", get=EVERYONE)

# --- API: blueprints (owner: the author) -------------------------------------------------------

R(f"{A}blueprints/", get=EVERYONE, post="anonymous:401 *:400")
R(
    f"{A}blueprints/files/<int:pk>/",
    owner="author",
    pk="file.pk",
    note="published",
    get=EVERYONE,
    delete="anonymous:401 owner:409 *:403",
)
R(
    f"{A}blueprints/files/<int:pk>/",
    owner="author",
    pk="draft_file.pk",
    note="draft",
    get="owner,staff:200 *:404",
    delete="anonymous:401 owner:204 staff:403 *:404",
)
R(
    f"{A}blueprints/files/<int:pk>/upload/",
    owner="author",
    pk="file.pk",
    note="published",
    get="anonymous:401 owner:409 *:403",
)
R(
    f"{A}blueprints/files/<int:pk>/upload/",
    owner="author",
    pk="draft_file.pk",
    note="draft",
    get="anonymous:401 owner:409 staff:403 *:404",
)
R(
    f"{A}blueprints/files/<int:pk>/complete/",
    owner="author",
    pk="file.pk",
    note="published",
    post="anonymous:401 owner:200 *:403",
)
R(
    f"{A}blueprints/files/<int:pk>/complete/",
    owner="author",
    pk="draft_file.pk",
    note="draft",
    post="anonymous:401 owner:200 staff:403 *:404",
)
R(
    f"{A}blueprints/files/<int:pk>/download/",
    owner="author",
    pk="file.pk",
    note="published",
    get="anonymous:401 *:redirect",
)
R(
    f"{A}blueprints/files/<int:pk>/download/",
    owner="author",
    pk="draft_file.pk",
    note="draft",
    get="anonymous:401 owner,staff:redirect *:404",
)
R(f"{A}blueprints/compare/<int:old>/<int:new>/", owner="author", old="r1.pk", new="r2.pk", get=EVERYONE)
R(
    f"{A}blueprints/compare/<int:old>/<int:new>/",
    owner="author",
    old="r2.pk",
    new="r3.pk",
    note="with a draft",
    get="owner,staff:200 *:404",
)
R(
    f"{A}blueprints/<slug:slug>/",
    owner="author",
    slug="blueprint.slug",
    get=EVERYONE,
    patch="anonymous:401 owner:200 *:403",
    delete="anonymous:401 staff:204 *:403",
)
R(f"{A}blueprints/<slug:slug>/fork/", owner="author", slug="blueprint.slug", post="anonymous:401 *:201")
R(f"{A}blueprints/<slug:slug>/lineage/", owner="author", slug="blueprint.slug", get=EVERYONE)
R(
    f"{A}blueprints/<slug:slug>/revisions/",
    owner="author",
    slug="blueprint.slug",
    get=EVERYONE,
    post="anonymous:401 owner:409 *:403",
)
_r2 = {"owner": "author", "slug": "blueprint.slug", "number": "r2.number", "note": "published"}
_r3 = {"owner": "author", "slug": "blueprint.slug", "number": "r3.number", "note": "draft"}
_rev = f"{A}blueprints/<slug:slug>/revisions/<int:number>/"
R(_rev, **_r2, get=EVERYONE, patch="anonymous:401 owner:409 *:403", delete="anonymous:401 staff:204 *:403")
R(f"{_rev}publish/", **_r2, post="anonymous:401 owner:409 *:403")
R(f"{_rev}uploads/", **_r2, post="anonymous:401 owner:400 *:403")
# A draft revision is seen by its author and staff only: to everyone else it does not exist (404).
R(
    _rev,
    **_r3,
    get="owner,staff:200 *:404",
    patch="anonymous:401 owner:200 staff:403 *:404",
    delete="anonymous:401 owner:204 staff:403 *:404",
)
R(f"{_rev}publish/", **_r3, post="anonymous:401 owner:200 staff:403 *:404")
R(f"{_rev}uploads/", **_r3, post="anonymous:401 owner:400 staff:403 *:404")

# --- API: entries and judging (a sealed, open phase) -------------------------------------------

R(f"{A}entries/", owner="author", get=EVERYONE, post="anonymous:401 *:400")
R(f"{A}entries/<int:pk>/", owner="author", pk="entry.pk", get=f"{SEALED}:200 *:404")
R(f"{A}entries/<int:pk>/", owner="client", pk="entry.pk", note="the client", get="judge,staff:200 *:404")
_entry = {"owner": "author", "pk": "entry.pk"}
R(f"{A}entries/<int:pk>/submit/", **_entry, post="anonymous:401 owner:200 judge,staff:403 *:404")
R(f"{A}entries/<int:pk>/withdraw/", **_entry, post="anonymous:401 owner:200 judge,staff:403 *:404")
# Disqualifying is for the client and staff; while the phase is open and sealed only staff see it.
R(
    f"{A}entries/<int:pk>/disqualify/",
    **_entry,
    body={"reason": "Copied"},
    post="anonymous:401 staff:200 owner,judge:403 *:404",
)
R(
    f"{A}entries/<int:pk>/revision/",
    **_entry,
    body={"revision": "@r1.pk"},
    post="anonymous:401 owner:200 judge,staff:403 *:404",
)
R(
    f"{A}entries/<int:pk>/co-authors/",
    **_entry,
    body={"co_authors": []},
    put="anonymous:401 owner:409 judge,staff:403 *:404",
)
R(f"{A}entries/<int:pk>/co-author-answer/", **_entry, body={"accept": True}, post=f"anonymous:401 {SEALED}:403 *:404")
R(
    f"{A}entries/<int:pk>/recusal/",
    **_entry,
    body={"reason": "My student"},
    post="anonymous:401 judge:204 owner,staff:403 *:404",
)
# Votes: not on one's own entry, not by the phase's judges.
R(
    f"{A}entries/<int:pk>/vote/",
    **_entry,
    post="anonymous:401 owner,judge:403 staff:200 *:404",
    delete="anonymous:401 owner:403 judge,staff:200 *:404",
)
R(
    f"{A}entries/<int:pk>/scores/",
    **_entry,
    body=[{"criterion": "@criterion.pk", "value": 5}],
    get=f"anonymous:401 {SEALED}:200 *:404",
    put="anonymous:401 judge:409 owner,staff:403 *:404",
)
R(f"{A}phases/<int:pk>/eligibility/", pk="phase.pk", get=EVERYONE)
R(f"{A}phases/<int:pk>/eligibility/", pk="private_phase.pk", note="invite-only", get=f"{EDITORS}:200 *:404")
for _name in ("ranking/", "judging-progress/"):
    R(f"{A}phases/<int:pk>/{_name}", pk="phase.pk", get="anonymous:401 owner,judge,staff:200 *:403")
    R(
        f"{A}phases/<int:pk>/{_name}",
        pk="private_phase.pk",
        note="invite-only",
        get=f"anonymous:401 {EDITORS}:200 *:404",
    )
# Awarding an open phase: the owner and judges may, but not yet (409); nobody else may at all (403).
R(
    f"{A}phases/<int:pk>/awards/",
    pk="phase.pk",
    body={"awards": [{"rank": 1, "entry": "@entry.pk"}]},
    get=EVERYONE,
    post="anonymous:401 owner,judge,staff:409 *:403",
)
R(
    f"{A}phases/<int:pk>/awards/",
    pk="private_phase.pk",
    note="invite-only",
    get=f"{EDITORS}:200 *:404",
    post=f"anonymous:401 {EDITORS}:400 *:404",
)
R(
    f"{A}phases/<int:pk>/awards/preview/",
    pk="phase.pk",
    body={"awards": [{"rank": 1, "entry": "@entry.pk"}]},
    get="anonymous:401 *:405",
    post="anonymous:401 owner,judge,staff:409 *:403",
)
R(
    f"{A}phases/<int:pk>/unscored-confirmation/",
    pk="phase.pk",
    get="anonymous:401 owner,judge,staff:200 *:403",
    post="anonymous:401 owner,judge,staff:400 *:403",
)
R(f"{A}phases/<int:pk>/judging-rules/", pk="phase.pk", get=EVERYONE, put=f"anonymous:401 {EDITORS}:400 *:403")
R(
    f"{A}phases/<int:pk>/judging-rules/",
    pk="private_phase.pk",
    note="invite-only",
    get=f"{EDITORS}:200 *:404",
    put=f"anonymous:401 {EDITORS}:400 *:404",
)
R(f"{A}challenges/<int:pk>/judging-rules/", pk="challenge.pk", get=EVERYONE, put=f"anonymous:401 {EDITORS}:400 *:403")
for _c in ("private", "draft"):
    R(
        f"{A}challenges/<int:pk>/judging-rules/",
        pk=f"{_c}.pk",
        note=_c,
        get=f"{EDITORS}:200 *:404",
        put=f"anonymous:401 {EDITORS}:400 *:404",
    )

# --- API: payments -----------------------------------------------------------------------------

R(f"{A}payments/challenges/<int:pk>/budget/", pk="challenge.pk", get=f"anonymous:401 {EDITORS}:200 *:404")
R(f"{A}payments/challenges/<int:pk>/budget/", pk="draft.pk", note="draft", get=f"anonymous:401 {EDITORS}:200 *:404")
R(f"{A}payments/earnings/", owner="author", get=API_SIGNED_IN)
R(f"{A}payments/payouts/", owner="author", get=API_SIGNED_IN)
# Retrying a payout is staff's (a pending one: nothing to do).
R(f"{A}payments/payouts/<int:pk>/retry/", owner="author", pk="payout.pk", post="anonymous:401 staff:200 *:403")
R(f"{A}payments/payout-methods/", owner="author", get=API_SIGNED_IN, post="anonymous:401 *:400")
R(
    f"{A}payments/payout-methods/<int:pk>/",
    owner="author",
    pk="payout_method.pk",
    body={"password": "not-the-password"},
    delete="anonymous:401 owner:400 *:404",
)
STAFF_ONLY = "anonymous:401 staff:{} *:403"
R(f"{A}payments/receipts/", get=STAFF_ONLY.format(200), post=STAFF_ONLY.format(400))
R(f"{A}payments/batches/", get=STAFF_ONLY.format(200), post=STAFF_ONLY.format(409))
R(f"{A}payments/batches/<int:pk>/file/", pk="batch.pk", get=STAFF_ONLY.format(200))
R(f"{A}payments/batches/<int:pk>/mark-paid/", pk="batch.pk", post=STAFF_ONLY.format(200))

# --- API: schema and docs ----------------------------------------------------------------------

R(f"{A}schema/", get=EVERYONE)
R(f"{A}docs/", get=EVERYONE)

# --- Vehicle dossiers ---------------------------------------------------------------------------
# This world's challenges have no award, hence no dossier: every dossier route answers 404 to whoever may
# see the challenge (existence stays private); starting again is the owner's and staff's alone (403 to
# others). Who may do what in a dossier that exists (the owner, the parts' authors, invite-only viewers,
# outsiders) is specified in dossiers/tests (test_page_and_api, test_assembly, test_package,
# test_second_generation, test_bom).

_dossier = {"slug": "challenge.slug", "number": "r2.number"}
_private_dossier = {"slug": "private.slug", "number": "r2.number", "note": "invite-only"}
R("/challenges/<slug:slug>/dossier/", slug="challenge.slug", get="*:404")
R("/challenges/<slug:slug>/dossier/", slug="private.slug", note="invite-only", get="*:404")
R("/challenges/<slug:slug>/dossier/v<int:number>/", **_dossier, get="*:404")
R("/challenges/<slug:slug>/dossier/v<int:number>/", **_private_dossier, get="*:404")
R("/challenges/<slug:slug>/dossier/v<int:number>/bom.csv", **_dossier, get="*:404")
R(
    "/challenges/<slug:slug>/dossier/v<int:number>/package/",
    **_dossier,
    get="anonymous:login *:404",
    post="anonymous:login *:404",
)
R("/challenges/<slug:slug>/dossier/v<int:number>/package/status/", **_dossier, get="*:404")
R(
    "/challenges/<slug:slug>/dossier/v<int:number>/parts/<int:part_id>/placement/",
    **_dossier,
    part_id="r2.pk",
    post="anonymous:login *:404",
)
R(
    "/challenges/<slug:slug>/dossier/v<int:number>/start-again/",
    **_dossier,
    get="anonymous:login owner,staff:404 *:403",
    post="anonymous:login owner,staff:404 *:403",
)
R(f"{A}challenges/<slug:slug>/dossier/", slug="challenge.slug", get="*:404")
R(f"{A}challenges/<slug:slug>/dossier/versions/", slug="challenge.slug", get=EVERYONE)
R(f"{A}challenges/<slug:slug>/dossier/versions/", slug="private.slug", note="invite-only", get=f"{EDITORS}:200 *:404")
R(f"{A}challenges/<slug:slug>/dossier/versions/<int:number>/", **_dossier, get="*:404")

# Bills of materials of blueprint revisions: the draft's owner edits them, everyone who sees a revision reads them.
R(
    "/blueprints/<slug:slug>/r/<int:number>/parts/",
    **_r2,
    get="anonymous:login owner:redirect *:403",
    post="anonymous:login owner:redirect *:403",
)
R(
    "/blueprints/<slug:slug>/r/<int:number>/parts/",
    **_r3,
    get="anonymous:login owner:200 staff:403 *:404",
    post="anonymous:login owner:200 staff:403 *:404",
)
R(f"{_rev}bom/", **_r2, get=EVERYONE, put="anonymous:401 owner:409 *:403")
R(f"{_rev}bom/", **_r3, get="owner,staff:200 *:404", put="anonymous:401 owner:400 staff:403 *:404")
