"""Community hooks of the blueprints app: blueprints are commentable and followable, a fork
notifies the parent's owner and earns them reputation, and profiles list blueprints and forks.
Imported by `BlueprintsConfig.ready()`."""

from typing import Any

from django.dispatch import receiver
from django.utils.translation import gettext_lazy as _

from blueprints import signals
from blueprints.models import Blueprint
from blueprints.selectors import blueprints_visible_to, listed_blueprints
from community import portfolio, targets
from community.models import ReputationReason
from community.notifications import register_kind
from community.services import notify, reputation_grant

PORTFOLIO_LIMIT = 20

BLUEPRINT_FORKED = register_kind(
    "blueprint_forked",
    label=_("My blueprint was forked"),
    sentence=_("%(actor)s forked your blueprint “%(blueprint)s”."),
)


def blueprint_can_view(user: Any, blueprint: Blueprint) -> bool:
    """Like `blueprints.selectors.blueprint_for_viewer`: the owner and staff always, others once
    published and while not hidden."""
    if blueprint.owner_id == getattr(user, "pk", None) or getattr(user, "is_staff", False):
        return True
    return not blueprint.is_hidden and blueprint.latest_revision_id is not None


targets.register(
    Blueprint,
    can_view=blueprint_can_view,
    url=lambda blueprint: blueprint.get_absolute_url(),
    title=lambda blueprint: blueprint.title,
    visible=lambda user: blueprints_visible_to(user),
)


@receiver(signals.blueprint_forked, dispatch_uid="community.blueprint_forked")
def on_blueprint_forked(
    sender: Any, *, blueprint_id: int, owner_id: int, parent_blueprint_id: int, **kwargs: Any
) -> None:
    parent = Blueprint.objects.select_related("owner").get(pk=parent_blueprint_id)
    if parent.owner_id == owner_id:
        return  # forking one's own work earns nothing and tells nobody
    fork = Blueprint.objects.select_related("owner").get(pk=blueprint_id)
    notify(
        recipient_ids=[parent.owner_id],
        kind=BLUEPRINT_FORKED,
        event_key=f"blueprint-forked:{blueprint_id}",
        context={"blueprint": parent.title, "actor": fork.owner.public_name, "fork": fork.title},
        url=fork.get_absolute_url(),
        actor_id=owner_id,
    )
    reputation_grant(user_id=parent.owner_id, reason=ReputationReason.FORK, source_key=f"fork:{blueprint_id}")


def _blueprints_of(member: Any, viewer: Any) -> list[portfolio.PortfolioItem]:
    rows = listed_blueprints().filter(owner=member).order_by("-last_published_at", "-pk")[:PORTFOLIO_LIMIT]
    return [
        portfolio.PortfolioItem(blueprint.title, blueprint.get_absolute_url(), blueprint.get_category_display())
        for blueprint in rows
    ]


def _forks_of_work(member: Any, viewer: Any) -> list[portfolio.PortfolioItem]:
    rows = (
        listed_blueprints()
        .filter(forked_from__blueprint__owner=member)
        .exclude(owner=member)
        .select_related("owner")
        .order_by("-created_at", "-pk")[:PORTFOLIO_LIMIT]
    )
    return [
        portfolio.PortfolioItem(blueprint.title, blueprint.get_absolute_url(), blueprint.owner.public_name)
        for blueprint in rows
    ]


portfolio.register_section("blueprints", title=_("Blueprints"), items=_blueprints_of, order=10)
portfolio.register_section("forks", title=_("Forks of their work"), items=_forks_of_work, order=40)
