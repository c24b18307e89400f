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
from dataclasses import dataclass, field

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


MATRIX: dict[str, list[Case]] = {}


def R(route: str, *, owner: str = "client", note: str = "", **rest: str) -> None:  # noqa: N802 - a table row
    """One case of `route`: URL kwargs (`slug="challenge.slug"`) and a spec per method (`get="*:200"`)."""
    methods = {method: outcomes(rest.pop(method)) for method in METHODS if method in rest}
    MATRIX.setdefault(route, []).append(Case(kwargs=rest, methods=methods, owner=owner, note=note))


# Route groups covered as a whole (see ADMIN and test_every_admin_model_is_covered_by_the_admin_group).
GROUPS = ("/admin/",)
ADMIN = outcomes("anonymous:admin-login staff:200 *:admin-login")

U = "?"  # placeholder while the table is written

# --- site, accounts (allauth), i18n ---------------------------------------------------------------

R("/", get=U, post=U)
R("/healthz", get=U, post=U)
R("/i18n/setlang/", get=U, post=U)
R("/accounts/login/", get=U, post=U)
R("/accounts/logout/", get=U, post=U)
R("/accounts/inactive/", get=U, post=U)
R("/accounts/signup/", get=U, post=U)
R("/accounts/reauthenticate/", get=U, post=U)
R("/accounts/reauthenticate/code/", get=U, post=U)
R("/accounts/reauthenticate/code/confirm/", get=U, post=U)
R("/accounts/email/", get=U, post=U)
R("/accounts/confirm-email/", get=U, post=U)
R("/accounts/password/change/", get=U, post=U)
R("/accounts/password/set/", get=U, post=U)
R("/accounts/password/reset/", get=U, post=U)
R("/accounts/login/code/confirm/", get=U, post=U)
R("/accounts/^confirm-email/(?P<key>[-:\\w]+)/$", url="/accounts/confirm-email/forged-key/", get=U, post=U)
R("/accounts/password/reset/key/done/", get=U, post=U)
R(
    "/accounts/^password/reset/key/(?P<uidb36>[0-9A-Za-z]+)-(?P<key>.+)/$",
    url="/accounts/password/reset/key/1-forged-key/",
    get=U,
    post=U,
)
R("/accounts/password/reset/done/", get=U, post=U)
for _name in ("", "authenticate/", "reauthenticate/", "totp/activate/", "totp/deactivate/", "recovery-codes/"):
    R(f"/accounts/2fa/{_name}", get=U, post=U)
R("/accounts/2fa/recovery-codes/generate/", get=U, post=U)
R("/accounts/2fa/recovery-codes/download/", get=U, post=U)

# --- community pages ----------------------------------------------------------------------------

R("/members/", get=U, post=U)
R("/members/me/", owner="author", get=U, post=U)
R("/members/me/following/", owner="author", get=U, post=U)
R("/members/me/tokens/", owner="author", get=U, post=U)
R("/members/me/tokens/<int:pk>/revoke/", owner="author", pk="api_token.pk", get=U, post=U)
R("/members/leaderboard/", get=U, post=U)
R("/members/reputation/", get=U, post=U)
R("/members/notifications/", owner="author", get=U, post=U)
R("/members/notifications/read/", owner="author", get=U, post=U)
R("/members/unsubscribe/<str:token>/", owner="author", token="unsubscribe_token", get=U, post=U)
R("/members/comments/", get=U, post=U)
R("/members/comments/<int:pk>/edit/", owner="author", pk="comment.pk", get=U, post=U)
R("/members/comments/<int:pk>/report/", owner="author", pk="comment.pk", get=U, post=U)
R("/members/follow/", get=U, post=U)
R("/members/<int:pk>/", owner="author", pk="author.pk", get=U, post=U)

# --- challenge pages ----------------------------------------------------------------------------

R("/challenges/", get=U, post=U)
R("/challenges/new/", get=U, post=U)
R("/challenges/dashboard/", get=U, post=U)
R("/challenges/invitations/<str:token>/", owner="invitee", token="pending.token", get=U, post=U)
R("/challenges/judging/<int:pk>/conflicts/", owner="judge", pk="assignment.pk", get=U, post=U)
for _c in ("challenge", "private", "draft"):
    R("/challenges/<slug:slug>/", slug=f"{_c}.slug", note=_c, get=U, post=U)
    R("/challenges/<slug:slug>/edit/brief/", slug=f"{_c}.slug", note=_c, get=U, post=U)
R("/challenges/<slug:slug>/edit/phases/", slug="challenge.slug", get=U, post=U)
R("/challenges/<slug:slug>/edit/phases/", slug="draft.slug", note="draft", get=U, post=U)
R("/challenges/<slug:slug>/edit/phases/<int:pk>/", slug="draft.slug", pk="draft_phase.pk", get=U, post=U)
R("/challenges/<slug:slug>/edit/phases/<int:pk>/delete/", slug="draft.slug", pk="draft_phase.pk", get=U, post=U)
R("/challenges/<slug:slug>/edit/judges/", slug="challenge.slug", get=U, post=U)
R("/challenges/<slug:slug>/edit/judges/<int:pk>/remove/", slug="challenge.slug", pk="pending.pk", get=U, post=U)
R(
    "/challenges/<slug:slug>/edit/invitations/<int:pk>/remove/",
    slug="private.slug",
    pk="invitation.pk",
    get=U,
    post=U,
)
R("/challenges/<slug:slug>/edit/review/", slug="draft.slug", get=U, post=U)
R("/challenges/<slug:slug>/withdraw/", slug="draft.slug", get=U, post=U)
R("/challenges/<slug:slug>/cancel/", slug="challenge.slug", get=U, post=U)
R("/challenges/<slug:slug>/phases/<int:pk>/", slug="challenge.slug", pk="phase.pk", get=U, post=U)
R("/challenges/<slug:slug>/phases/<int:pk>/", slug="draft.slug", pk="draft_phase.pk", note="draft", get=U, post=U)
R("/challenges/<slug:slug>/phases/<int:pk>/move/", slug="challenge.slug", pk="phase.pk", get=U, post=U)

# --- blueprint pages ----------------------------------------------------------------------------

R("/blueprints/", get=U, post=U)
R("/blueprints/mine/", get=U, post=U)
R("/blueprints/new/", get=U, post=U)
for _f in ("file", "draft_file"):
    R("/blueprints/files/<int:pk>/download/", owner="author", pk=f"{_f}.pk", note=_f, get=U, post=U)
    R("/blueprints/files/<int:pk>/view/", owner="author", pk=f"{_f}.pk", note=_f, get=U, post=U)
    R("/blueprints/files/<int:pk>/remove/", owner="author", pk=f"{_f}.pk", note=_f, get=U, post=U)
R("/blueprints/compare/<int:old>/<int:new>/", owner="author", old="r1.pk", new="r2.pk", get=U, post=U)
R("/blueprints/compare/<int:old>/<int:new>/", owner="author", old="r2.pk", new="r3.pk", note="draft", get=U, post=U)
for _name in ("", "edit/", "fork/", "hide/", "delete/", "revisions/new/"):
    R(f"/blueprints/<slug:slug>/{_name}", owner="author", slug="blueprint.slug", get=U, post=U)
for _r in ("r2", "r3"):
    for _name in ("", "upload/", "publish/", "delete/"):
        R(
            f"/blueprints/<slug:slug>/r/<int:number>/{_name}",
            owner="author",
            slug="blueprint.slug",
            number=f"{_r}.number",
            note=_r,
            get=U,
            post=U,
        )

# --- entry pages --------------------------------------------------------------------------------

R("/entries/mine/", owner="author", get=U, post=U)
R("/entries/judging/", owner="judge", get=U, post=U)
for _name in ("", "enter/", "judging/", "award/"):
    R(f"/entries/phases/<int:phase_pk>/{_name}", phase_pk="phase.pk", get=U, post=U)
R("/entries/challenges/<slug:slug>/rules/", slug="challenge.slug", get=U, post=U)
for _name in ("", "vote/", "submit/", "withdraw/", "disqualify/", "revision/", "co-authors/", "co-author-answer/", "score/"):
    R(f"/entries/<int:pk>/{_name}", owner="author", pk="entry.pk", get=U, post=U)

# --- money pages --------------------------------------------------------------------------------

R("/money/earnings/", owner="author", get=U, post=U)
R("/money/earnings/statement.csv", owner="author", get=U, post=U)
R("/money/earnings/statement.pdf", owner="author", get=U, post=U)
R("/money/payout-methods/", owner="author", get=U, post=U)
R("/money/payout-methods/<int:pk>/remove/", owner="author", pk="payout_method.pk", get=U, post=U)
R("/money/challenges/<slug:slug>/budget/", slug="challenge.slug", get=U, post=U)

# --- API: community -----------------------------------------------------------------------------

A = "/api/v1/"
R(f"{A}me/", owner="author", get=U, patch=U)
R(f"{A}members/", get=U)
R(f"{A}members/<int:pk>/", owner="author", pk="author.pk", get=U)
R(f"{A}leaderboard/", get=U)
R(f"{A}follows/", owner="author", get=U, post=U)
R(f"{A}follows/<int:pk>/", owner="author", pk="follow.pk", delete=U)
R(f"{A}comments/", get=U, post=U)
R(f"{A}comments/<int:pk>/", owner="author", pk="comment.pk", get=U, patch=U)
R(f"{A}comments/<int:pk>/report/", owner="author", pk="comment.pk", post=U)
R(f"{A}comments/<int:pk>/hide/", owner="author", pk="comment.pk", post=U)
R(f"{A}notifications/", owner="author", get=U)
R(f"{A}notifications/read/", owner="author", post=U)
R(f"{A}tokens/", owner="author", get=U, post=U)
R(f"{A}tokens/<int:pk>/", owner="author", pk="api_token.pk", get=U, delete=U)

# --- API: challenges ----------------------------------------------------------------------------

R(f"{A}challenges/", get=U, post=U)
for _c in ("challenge", "private", "draft"):
    R(f"{A}challenges/<int:pk>/", pk=f"{_c}.pk", note=_c, get=U, patch=U)
    R(f"{A}challenges/<int:pk>/transitions/", pk=f"{_c}.pk", note=_c, get=U, post=U)
    R(f"{A}challenges/<int:pk>/phases/", pk=f"{_c}.pk", note=_c, get=U, post=U)
    R(f"{A}challenges/<int:pk>/judges/", pk=f"{_c}.pk", note=_c, get=U, post=U)
    R(f"{A}challenges/<int:pk>/invitations/", pk=f"{_c}.pk", note=_c, get=U, post=U)
R(f"{A}challenges/<int:pk>/invitations/<int:invitation_pk>/", pk="private.pk", invitation_pk="invitation.pk", delete=U)
for _p in ("phase", "private_phase", "draft_phase"):
    R(f"{A}phases/<int:pk>/", pk=f"{_p}.pk", note=_p, get=U, patch=U, delete=U)
    R(f"{A}phases/<int:pk>/transitions/", pk=f"{_p}.pk", note=_p, get=U, post=U)
    R(f"{A}phases/<int:pk>/prizes/", pk=f"{_p}.pk", note=_p, get=U, put=U)
    R(f"{A}phases/<int:pk>/criteria/", pk=f"{_p}.pk", note=_p, get=U, put=U)
R(f"{A}judge-assignments/<int:pk>/", owner="judge", pk="assignment.pk", get=U, delete=U)
R(f"{A}judge-assignments/<int:pk>/respond/", owner="invitee", pk="pending.pk", post=U)
R(f"{A}judge-assignments/<int:pk>/conflicts/", owner="judge", pk="assignment.pk", post=U)
R(f"{A}transitions/", get=U)

# --- API: blueprints ----------------------------------------------------------------------------

R(f"{A}blueprints/", get=U, post=U)
for _f in ("file", "draft_file"):
    R(f"{A}blueprints/files/<int:pk>/", owner="author", pk=f"{_f}.pk", note=_f, get=U, delete=U)
    R(f"{A}blueprints/files/<int:pk>/upload/", owner="author", pk=f"{_f}.pk", note=_f, get=U)
    R(f"{A}blueprints/files/<int:pk>/complete/", owner="author", pk=f"{_f}.pk", note=_f, post=U)
    R(f"{A}blueprints/files/<int:pk>/download/", owner="author", pk=f"{_f}.pk", note=_f, get=U)
R(f"{A}blueprints/compare/<int:old>/<int:new>/", owner="author", old="r1.pk", new="r2.pk", get=U)
R(f"{A}blueprints/compare/<int:old>/<int:new>/", owner="author", old="r2.pk", new="r3.pk", note="draft", get=U)
R(f"{A}blueprints/<slug:slug>/", owner="author", slug="blueprint.slug", get=U, patch=U, delete=U)
R(f"{A}blueprints/<slug:slug>/fork/", owner="author", slug="blueprint.slug", post=U)
R(f"{A}blueprints/<slug:slug>/lineage/", owner="author", slug="blueprint.slug", get=U)
R(f"{A}blueprints/<slug:slug>/revisions/", owner="author", slug="blueprint.slug", get=U, post=U)
for _r in ("r2", "r3"):
    _kw = {"slug": "blueprint.slug", "number": f"{_r}.number", "note": _r}
    R(f"{A}blueprints/<slug:slug>/revisions/<int:number>/", owner="author", **_kw, get=U, patch=U, delete=U)
    R(f"{A}blueprints/<slug:slug>/revisions/<int:number>/publish/", owner="author", **_kw, post=U)
    R(f"{A}blueprints/<slug:slug>/revisions/<int:number>/uploads/", owner="author", **_kw, post=U)

# --- API: entries and judging -------------------------------------------------------------------

R(f"{A}entries/", owner="author", get=U, post=U)
R(f"{A}entries/<int:pk>/", owner="author", pk="entry.pk", get=U)
for _name in ("submit/", "withdraw/", "disqualify/", "revision/", "co-author-answer/", "recusal/"):
    R(f"{A}entries/<int:pk>/{_name}", owner="author", pk="entry.pk", post=U)
R(f"{A}entries/<int:pk>/co-authors/", owner="author", pk="entry.pk", put=U)
R(f"{A}entries/<int:pk>/vote/", owner="author", pk="entry.pk", post=U, delete=U)
R(f"{A}entries/<int:pk>/scores/", owner="author", pk="entry.pk", get=U, put=U)
for _p in ("phase", "private_phase"):
    R(f"{A}phases/<int:pk>/eligibility/", pk=f"{_p}.pk", note=_p, get=U)
    R(f"{A}phases/<int:pk>/ranking/", pk=f"{_p}.pk", note=_p, get=U)
    R(f"{A}phases/<int:pk>/judging-progress/", pk=f"{_p}.pk", note=_p, get=U)
    R(f"{A}phases/<int:pk>/awards/", pk=f"{_p}.pk", note=_p, get=U, post=U)
    R(f"{A}phases/<int:pk>/judging-rules/", pk=f"{_p}.pk", note=_p, get=U, put=U)
for _c in ("challenge", "private", "draft"):
    R(f"{A}challenges/<int:pk>/judging-rules/", pk=f"{_c}.pk", note=_c, get=U, put=U)

# --- API: payments ------------------------------------------------------------------------------

R(f"{A}payments/challenges/<int:pk>/budget/", pk="challenge.pk", get=U)
R(f"{A}payments/challenges/<int:pk>/budget/", pk="draft.pk", note="draft", get=U)
R(f"{A}payments/earnings/", owner="author", get=U)
R(f"{A}payments/payouts/", owner="author", get=U)
R(f"{A}payments/payouts/<int:pk>/retry/", owner="author", pk="payout.pk", post=U)
R(f"{A}payments/payout-methods/", owner="author", get=U, post=U)
R(f"{A}payments/payout-methods/<int:pk>/", owner="author", pk="payout_method.pk", delete=U)
R(f"{A}payments/receipts/", get=U, post=U)
R(f"{A}payments/batches/", get=U, post=U)
R(f"{A}payments/batches/<int:pk>/file/", pk="batch.pk", get=U)
R(f"{A}payments/batches/<int:pk>/mark-paid/", pk="batch.pk", post=U)

# --- API: schema and docs -----------------------------------------------------------------------

R(f"{A}schema/", get=U)
R(f"{A}docs/", get=U)
R(f"{A}redoc/", get=U)
