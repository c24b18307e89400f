"""What the shared cache of anonymous responses serves, and what retires its entries (`core.caching`).

ROUTES: route name -> the topics whose data the page or API response shows (visibility rules included:
a sealed phase hides entries, a hidden blueprint hides its revisions, so most pages depend on several).
A route not listed here is never served from the cache.

MODELS: "app_label.model" (or a whole "app_label") -> the topics a save or delete of one of its rows
bumps. A model listed with no topics is shown on no anonymous page (notifications, tokens, reports) and
keeps Django's fast deletes. Writes that bypass signals call `core.caching.bump` themselves.

Topics are deliberately coarse (one per kind of content): a write retires every page of its kind.
"""

MEMBERS = "members"  # users, their profiles and reputation, confirmed addresses
FOLLOWS = "follows"
COMMENTS = "comments"
CHALLENGES = "challenges"
BLUEPRINTS = "blueprints"
SUBMISSIONS = "submissions"

CONTENT = (MEMBERS, CHALLENGES, BLUEPRINTS, SUBMISSIONS)
EVERYTHING = (*CONTENT, FOLLOWS, COMMENTS)

ROUTES: dict[str, tuple[str, ...]] = {
    # Pages
    "home": EVERYTHING,
    "challenges:list": CONTENT,
    "challenges:detail": EVERYTHING,
    "challenges:phase": EVERYTHING,
    "submissions:gallery": EVERYTHING,
    "submissions:detail": EVERYTHING,
    "submissions:rules": CONTENT,
    "blueprints:library": CONTENT,
    "blueprints:detail": EVERYTHING,
    "blueprints:revision": EVERYTHING,
    "blueprints:compare": CONTENT,
    "community:directory": (*CONTENT, FOLLOWS),
    "community:profile": EVERYTHING,
    "community:leaderboard": CONTENT,
    "community:reputation": (MEMBERS,),
    # Public API
    "api-challenges": CONTENT,
    "api-challenge": CONTENT,
    "api-challenge-phases": CONTENT,
    "api-challenge-transitions": CONTENT,
    "api-phase": CONTENT,
    "api-phase-transitions": CONTENT,
    "api-phase-prizes": CONTENT,
    "api-phase-criteria": CONTENT,
    "api-transitions": CONTENT,
    "api-blueprint-list": CONTENT,
    "api-blueprint-detail": CONTENT,
    "api-blueprint-lineage": CONTENT,
    "api-blueprint-revisions": CONTENT,
    "api-blueprint-revision": CONTENT,
    "api-blueprint-compare": CONTENT,
    "api-entries": CONTENT,
    "api-entry": CONTENT,
    "api-phase-ranking": CONTENT,
    "api-phase-awards": CONTENT,
    "api-phase-judging-rules": CONTENT,
    "api-challenge-judging-rules": CONTENT,
    "api-members": (*CONTENT, FOLLOWS),
    "api-member": (*CONTENT, FOLLOWS),
    "api-leaderboard": CONTENT,
    "api-comments": EVERYTHING,
    "api-comment": EVERYTHING,
}

MODELS: dict[str, tuple[str, ...]] = {
    "community": (MEMBERS,),
    "community.follow": (FOLLOWS,),
    "community.comment": (COMMENTS,),
    "community.commentreport": (),
    "community.notification": (),
    "community.apitoken": (),
    # allauth's addresses: only members with a confirmed address are listed.
    "account": (MEMBERS,),
    "challenges": (CHALLENGES,),
    "blueprints": (BLUEPRINTS,),
    "submissions": (SUBMISSIONS,),
    # payments: no anonymous page or public API shows its tables (challenge status moves are challenges').
}

# Routes served per member only (signed in), besides those of ROUTES: what a member sees of their own.
PERSONAL_ROUTES: tuple[str, ...] = ("community:notifications", "api-notifications")

# Tables whose rows each belong to one member, shown only to that member (the personal cache,
# `core.personal_cache`): "app_label.model" -> (topic, the column holding the member's id). A write bumps
# "<topic>:<member id>", so a notification for one member retires only that member's pages; a signed-in
# page may depend on such a table only through queries filtered on its own member's id.
MEMBER_TOPICS: dict[str, tuple[str, str]] = {
    "community.notification": ("notifications", "recipient_id"),
}
