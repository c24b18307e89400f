"""Sections of a member's public profile that other apps fill (blueprints, entries, awards, forks).

Like `community.targets`, a registry: the higher apps register a function from their
`community_events` module, so `community` shows their work without importing them. Each
function answers in a fixed number of queries, whatever the member has made.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class PortfolioItem:
    title: str
    url: str
    detail: str = ""
    # Prize money and the like: shown only when the member chose to show their earnings.
    earnings: str = ""


@dataclass(frozen=True)
class PortfolioSection:
    key: str
    title: Any  # a lazy translated string
    items: Callable[[Any, Any], list[PortfolioItem]]  # (member, viewer) -> items
    order: int = 100


_sections: dict[str, PortfolioSection] = {}


def register_section(
    key: str, *, title: Any, items: Callable[[Any, Any], list[PortfolioItem]], order: int = 100
) -> None:
    _sections[key] = PortfolioSection(key, title, items, order)


def portfolio_for(*, member: Any, viewer: Any) -> list[tuple[PortfolioSection, list[PortfolioItem]]]:
    """Every registered section with the member's items that `viewer` may see (empty ones dropped)."""
    result = []
    for section in sorted(_sections.values(), key=lambda section: (section.order, section.key)):
        items = section.items(member, viewer)
        if not member.show_earnings and getattr(viewer, "pk", None) != member.pk:
            items = [PortfolioItem(item.title, item.url, item.detail, "") for item in items]
        if items:
            result.append((section, items))
    return result
