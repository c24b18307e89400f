"""Community hooks of the submissions app: entries are commentable (sealing respected through
`entry_can_view`), judging and awards notify the authors, and entries, votes and awards earn
reputation. Profiles list a member's entries and awards. Imported by `SubmissionsConfig.ready()`."""

from typing import Any

from django.dispatch import receiver
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from community import portfolio, targets
from community.models import ReputationReason, User
from community.notifications import register_kind
from community.services import notify, reputation_grant, reputation_revoke
from submissions import signals
from submissions.models import AwardShare, Entry, EntryAuthor, EntryStatus
from submissions.selectors import awards_visible_to, entries_visible_to, entry_can_view

PORTFOLIO_LIMIT = 20

ENTRY_SCORED = register_kind(
    "entry_scored",
    label=_("My entry was scored"),
    sentence=_("A judge scored your entry “%(entry)s” in “%(challenge)s”."),
)
ENTRY_AWARDED = register_kind(
    "entry_awarded",
    label=_("My entry won an award"),
    sentence=_("Your entry “%(entry)s” won an award in “%(challenge)s”."),
)
CO_AUTHOR_INVITED = register_kind(
    "co_author_invited",
    label=_("An invitation to co-author an entry"),
    sentence=_(
        "%(actor)s names you a co-author of “%(entry)s” in “%(challenge)s” with a %(share)s %% share; "
        "please accept or decline."
    ),
)

targets.register(
    Entry,
    can_view=entry_can_view,
    url=lambda entry: entry.get_absolute_url(),
    title=lambda entry: entry.title,
    followable=False,
    visible=entries_visible_to,
)


def _entry(entry_id: int) -> Entry:
    return Entry.objects.select_related("phase__challenge").get(pk=entry_id)


@receiver(signals.entry_submitted, dispatch_uid="community.entry_submitted")
def on_entry_submitted(sender: Any, *, entry_id: int, author_ids: list[int], **kwargs: Any) -> None:
    for author_id in author_ids:
        reputation_grant(user_id=author_id, reason=ReputationReason.ENTRY, source_key=f"entry:{entry_id}")


@receiver(signals.vote_cast, dispatch_uid="community.vote_cast")
def on_vote_cast(sender: Any, *, entry_id: int, voter_id: int, author_ids: list[int], **kwargs: Any) -> None:
    for author_id in author_ids:
        if author_id != voter_id:
            reputation_grant(user_id=author_id, reason=ReputationReason.VOTE, source_key=f"vote:{entry_id}:{voter_id}")


@receiver(signals.entry_withdrawn, dispatch_uid="community.entry_withdrawn")
@receiver(signals.entry_disqualified, dispatch_uid="community.entry_disqualified")
def on_entry_gone(sender: Any, *, entry_id: int, author_ids: list[int], **kwargs: Any) -> None:
    """An entry withdrawn or disqualified earns nothing: its points go (entering again is a new entry)."""
    for author_id in author_ids:
        reputation_revoke(user_id=author_id, source_key=f"entry:{entry_id}")


@receiver(signals.vote_retracted, dispatch_uid="community.vote_retracted")
def on_vote_retracted(sender: Any, *, entry_id: int, voter_id: int, author_ids: list[int], **kwargs: Any) -> None:
    for author_id in author_ids:
        reputation_revoke(user_id=author_id, source_key=f"vote:{entry_id}:{voter_id}")


@receiver(signals.co_author_invited, dispatch_uid="community.co_author_invited")
def on_co_author_invited(sender: Any, *, entry_id: int, user_id: int, lead_author_id: int, **kwargs: Any) -> None:
    """The co-author is asked to accept; keyed by their authorship row, which a change of the
    co-authors or shares replaces, so each new question is told once."""
    authorship = (
        EntryAuthor.objects.filter(entry_id=entry_id, user_id=user_id).select_related("entry__phase__challenge").first()
    )
    if authorship is None:
        return  # replaced again before this ran; the newer invitation tells them
    entry = authorship.entry
    lead = User.objects.get(pk=lead_author_id)
    notify(
        recipient_ids=[user_id],
        kind=CO_AUTHOR_INVITED,
        event_key=f"co-author-invited:{authorship.pk}",
        context={
            "actor": lead.public_name,
            "entry": entry.title,
            "challenge": entry.phase.challenge.title,
            "share": str(authorship.share),
        },
        url=reverse("submissions:mine"),
        actor_id=lead_author_id,
    )


@receiver(signals.entry_scored, dispatch_uid="community.entry_scored")
def on_entry_scored(sender: Any, *, entry_id: int, judge_id: int, author_ids: list[int], **kwargs: Any) -> None:
    entry = _entry(entry_id)
    notify(
        recipient_ids=author_ids,
        kind=ENTRY_SCORED,
        event_key=f"entry-scored:{entry_id}:{judge_id}",
        context={"entry": entry.title, "challenge": entry.phase.challenge.title, "phase": entry.phase.title},
        url=entry.get_absolute_url(),
    )


@receiver(signals.phase_awarded, dispatch_uid="community.phase_awarded")
def on_phase_awarded(sender: Any, *, award_ids: list[int], **kwargs: Any) -> None:
    shares = AwardShare.objects.filter(award_id__in=award_ids).select_related("award__entry__phase__challenge", "award")
    for share in shares:
        award = share.award
        reputation_grant(
            user_id=share.recipient_id,
            reason=ReputationReason.AWARD,
            source_key=f"award-share:{share.pk}",
            amount=share.amount,
            currency=share.currency,
        )
        notify(
            recipient_ids=[share.recipient_id],
            kind=ENTRY_AWARDED,
            event_key=f"entry-awarded:{award.pk}",
            context={
                "entry": award.entry.title,
                "challenge": award.entry.phase.challenge.title,
                "amount": str(share.amount),
                "currency": share.currency,
            },
            url=award.entry.get_absolute_url(),
        )


def _entries_of(member: Any, viewer: Any) -> list[portfolio.PortfolioItem]:
    entries = (
        entries_visible_to(viewer)
        .filter(authors__user=member, status=EntryStatus.SUBMITTED)
        .select_related("phase__challenge")
        .order_by("-created_at", "-pk")
        .distinct()[:PORTFOLIO_LIMIT]
    )
    return [
        portfolio.PortfolioItem(entry.title, entry.get_absolute_url(), entry.phase.challenge.title) for entry in entries
    ]


def _awards_of(member: Any, viewer: Any) -> list[portfolio.PortfolioItem]:
    """The member's prize shares from the challenges the viewer may read (an invite-only one stays hidden)."""
    shares = (
        AwardShare.objects.filter(recipient=member, award__in=awards_visible_to(viewer))
        .select_related("award__entry__phase__challenge")
        .order_by("-pk")[:PORTFOLIO_LIMIT]
    )
    return [
        portfolio.PortfolioItem(
            share.award.entry.title,
            share.award.entry.get_absolute_url(),
            f"{share.award.entry.phase.challenge.title} · #{share.award.rank}",
            f"{share.amount} {share.currency}",
        )
        for share in shares
    ]


portfolio.register_section("entries", title=_("Entries"), items=_entries_of, order=20)
portfolio.register_section("awards", title=_("Awards won"), items=_awards_of, order=30)
