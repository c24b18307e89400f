"""Entries of blueprint revisions into phases, judges' scores and recusals, community votes,
awards with their computed split, and the judging rules a challenge declares.

What one row can hold is a database constraint here (score range, one vote per member and entry,
one prize per rank and per entry); rules spanning rows (entry limits, shares summing to 100 %,
the prize table) are kept by `submissions.services` under row locks.
"""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from core.models import TimeStampedModel, TransitionRecord, choices_check


class EntryStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    DISQUALIFIED = "disqualified", _("Disqualified")


class Entry(TimeStampedModel):
    """A blueprint revision entered into a phase by its authors."""

    phase = models.ForeignKey(
        "challenges.Phase", on_delete=models.PROTECT, related_name="entries", verbose_name=_("phase")
    )
    lead_author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="led_entries", verbose_name=_("lead author")
    )
    revision = models.ForeignKey(
        "blueprints.Revision", on_delete=models.PROTECT, related_name="entries", verbose_name=_("revision")
    )
    title = models.CharField(_("title"), max_length=200)
    statement = models.TextField(_("statement"), max_length=10000, blank=True)
    status = models.CharField(_("status"), max_length=12, choices=EntryStatus.choices, default=EntryStatus.DRAFT)
    status_reason = models.CharField(_("reason"), max_length=500, blank=True)
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)
    # For a phase that depends on earlier ones: the winning entries this one develops further.
    builds_on = models.ManyToManyField(
        "self", symmetrical=False, related_name="built_upon_by", blank=True, verbose_name=_("builds on")
    )

    class Meta:
        verbose_name = _("entry")
        verbose_name_plural = _("entries")
        ordering = ["phase", "submitted_at", "pk"]
        constraints = [
            choices_check("status", EntryStatus, "submissions_entry_status_valid"),
            models.CheckConstraint(
                condition=Q(status="draft") | Q(submitted_at__isnull=False), name="submissions_entry_submitted_at"
            ),
            models.CheckConstraint(
                condition=~Q(status="disqualified") | ~Q(status_reason=""),
                name="submissions_entry_disqualified_has_reason",
            ),
        ]
        indexes = [
            models.Index(fields=["phase", "status", "submitted_at"], name="submissions_entry_phase_idx"),
            models.Index(fields=["lead_author", "-created_at"], name="submissions_entry_lead_idx"),
            # Lists across phases, newest first (`selectors.LIST_ORDER`; a draft has no submitted_at).
            models.Index(
                Coalesce("submitted_at", "created_at").desc(), F("id").desc(), name="submissions_entry_listed_idx"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("submissions:detail", kwargs={"pk": self.pk})


class Acceptance(models.TextChoices):
    """A co-author's answer to being named on an entry (the lead author has always accepted)."""

    INVITED = "invited", _("Invited")
    ACCEPTED = "accepted", _("Accepted")
    DECLINED = "declined", _("Declined")


class EntryAuthor(models.Model):
    """An author of an entry and the agreed share of any prize (percent; an entry's shares sum to 100).

    A co-author agrees to the entry and the shares (`acceptance`); the entry is submitted only once
    every co-author has accepted, and changing the co-authors or shares asks them all again.
    """

    entry = models.ForeignKey(Entry, on_delete=models.CASCADE, related_name="authors")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="entry_authorships", verbose_name=_("author")
    )
    share = models.DecimalField(_("prize share (%)"), max_digits=5, decimal_places=2)
    is_lead = models.BooleanField(_("lead author"), default=False)
    acceptance = models.CharField(_("agreement"), max_length=10, choices=Acceptance.choices, default=Acceptance.INVITED)
    responded_at = models.DateTimeField(_("answered"), null=True, blank=True)

    class Meta:
        verbose_name = _("entry author")
        verbose_name_plural = _("entry authors")
        ordering = ["entry", "-is_lead", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["entry", "user"], name="submissions_author_unique"),
            models.UniqueConstraint(fields=["entry"], condition=Q(is_lead=True), name="submissions_author_one_lead"),
            models.CheckConstraint(condition=Q(share__gt=0) & Q(share__lte=100), name="submissions_author_share_range"),
            choices_check("acceptance", Acceptance, "submissions_author_acceptance_valid"),
            models.CheckConstraint(
                condition=Q(is_lead=False) | Q(acceptance="accepted"), name="submissions_author_lead_accepted"
            ),
            models.CheckConstraint(
                condition=~Q(acceptance="invited") | Q(responded_at__isnull=True),
                name="submissions_author_invited_unanswered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.share} % ({self.acceptance})"


class EntryRevision(models.Model):
    """Every revision an entry has pointed at, the first one included: the entry's history."""

    entry = models.ForeignKey(Entry, on_delete=models.CASCADE, related_name="revision_history")
    revision = models.ForeignKey("blueprints.Revision", on_delete=models.PROTECT, related_name="+")
    set_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    set_at = models.DateTimeField(_("when"), auto_now_add=True)

    class Meta:
        verbose_name = _("entry revision")
        verbose_name_plural = _("entry revisions")
        ordering = ["entry", "set_at", "pk"]

    def __str__(self) -> str:
        return f"{self.entry_id} → {self.revision_id}"


class EntryStatusChange(TransitionRecord):
    """Every move of an entry's status (`services.entries.entry_move`): who, when and why."""

    entry = models.ForeignKey(Entry, on_delete=models.CASCADE, related_name="status_changes")

    class Meta:
        verbose_name = _("entry status change")
        verbose_name_plural = _("entry status changes")
        ordering = ["entry", "created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.entry_id}: {self.from_status} → {self.to_status}"


class Score(TimeStampedModel):
    judge = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="scores", verbose_name=_("judge")
    )
    entry = models.ForeignKey(Entry, on_delete=models.CASCADE, related_name="scores", verbose_name=_("entry"))
    criterion = models.ForeignKey(
        "challenges.Criterion", on_delete=models.CASCADE, related_name="scores", verbose_name=_("criterion")
    )
    value = models.PositiveSmallIntegerField(_("score"), validators=[MinValueValidator(0), MaxValueValidator(10)])
    comment = models.TextField(_("comment"), max_length=2000, blank=True)

    class Meta:
        verbose_name = _("score")
        verbose_name_plural = _("scores")
        ordering = ["entry", "judge", "criterion"]
        constraints = [
            models.UniqueConstraint(fields=["judge", "entry", "criterion"], name="submissions_score_unique"),
            models.CheckConstraint(condition=Q(value__gte=0) & Q(value__lte=10), name="submissions_score_range"),
        ]

    def __str__(self) -> str:
        return f"{self.judge_id}/{self.entry_id}/{self.criterion_id}: {self.value}"


class Recusal(models.Model):
    """A judge's declared conflict with one entry: they do not score it, and its ranking uses the others."""

    judge = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="recusals")
    entry = models.ForeignKey(Entry, on_delete=models.CASCADE, related_name="recusals")
    reason = models.CharField(_("reason"), max_length=500)
    created_at = models.DateTimeField(_("when"), auto_now_add=True)

    class Meta:
        verbose_name = _("recusal")
        verbose_name_plural = _("recusals")
        constraints = [models.UniqueConstraint(fields=["judge", "entry"], name="submissions_recusal_unique")]

    def __str__(self) -> str:
        return f"{self.judge_id} recused from {self.entry_id}"


class Vote(models.Model):
    voter = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="entry_votes")
    entry = models.ForeignKey(Entry, on_delete=models.CASCADE, related_name="votes")
    created_at = models.DateTimeField(_("when"), auto_now_add=True)

    class Meta:
        verbose_name = _("vote")
        verbose_name_plural = _("votes")
        constraints = [models.UniqueConstraint(fields=["voter", "entry"], name="submissions_vote_unique")]

    def __str__(self) -> str:
        return f"{self.voter_id} → {self.entry_id}"


class Award(models.Model):
    """A prize of the phase's table given to an entry. Its split (`shares`) is stored with it."""

    phase = models.ForeignKey("challenges.Phase", on_delete=models.PROTECT, related_name="awards")
    rank = models.PositiveSmallIntegerField(_("rank"))
    entry = models.ForeignKey(Entry, on_delete=models.PROTECT, related_name="awards", verbose_name=_("entry"))
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3)
    awarded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("awarded by")
    )
    awarded_at = models.DateTimeField(_("awarded"))

    class Meta:
        verbose_name = _("award")
        verbose_name_plural = _("awards")
        ordering = ["phase", "rank"]
        constraints = [
            models.UniqueConstraint(fields=["phase", "rank"], name="submissions_award_rank_unique"),
            models.UniqueConstraint(fields=["phase", "entry"], name="submissions_award_entry_unique"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="submissions_award_amount_positive"),
            models.CheckConstraint(condition=Q(rank__gte=1), name="submissions_award_rank_from_one"),
        ]

    def __str__(self) -> str:
        return f"#{self.rank}: {self.amount} {self.currency}"


class UnscoredConfirmation(models.Model):
    """A judge, the owner or staff confirmed that the phase is awarded with these entries unscored,
    and why. Awarding needs every entry scored by the panel, or a confirmation covering the
    entries still unscored (`submissions.selectors.judging_readiness`)."""

    phase = models.ForeignKey("challenges.Phase", on_delete=models.CASCADE, related_name="unscored_confirmations")
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("confirmed by")
    )
    confirmed_at = models.DateTimeField(_("confirmed"))
    reason = models.CharField(_("reason"), max_length=500)
    # The ids of the entries unscored when it was confirmed: an entry unscored later needs a new confirmation.
    entry_ids = models.JSONField(_("unscored entries"), default=list)

    class Meta:
        verbose_name = _("confirmation of unscored entries")
        verbose_name_plural = _("confirmations of unscored entries")
        ordering = ["phase", "-confirmed_at", "-pk"]
        constraints = [models.CheckConstraint(condition=~Q(reason=""), name="submissions_unscored_reason_given")]

    def __str__(self) -> str:
        return f"{self.phase_id}: {len(self.entry_ids)} unscored ({self.confirmed_by_id})"


class ShareKind(models.TextChoices):
    AUTHOR = "author", _("Lead author")
    CO_AUTHOR = "co_author", _("Co-author")
    LINEAGE = "lineage", _("Lineage credit")


class AwardShare(models.Model):
    """Who receives what of an award. The shares of one award sum exactly to its amount."""

    award = models.ForeignKey(Award, on_delete=models.PROTECT, related_name="shares")
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="award_shares")
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3)
    kind = models.CharField(_("kind"), max_length=10, choices=ShareKind.choices)
    # 0 for the entry's authors; 1 for the author of the revision the entry's blueprint was forked from, ...
    generation = models.PositiveSmallIntegerField(_("generation"), default=0)
    source_blueprint = models.ForeignKey(
        "blueprints.Blueprint", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("award share")
        verbose_name_plural = _("award shares")
        ordering = ["award", "generation", "pk"]
        constraints = [
            choices_check("kind", ShareKind, "submissions_share_kind_valid"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="submissions_share_amount_positive"),
            models.CheckConstraint(
                condition=(Q(kind="lineage") & Q(generation__gte=1) & Q(source_blueprint__isnull=False))
                | (~Q(kind="lineage") & Q(generation=0)),
                name="submissions_share_generation_matches_kind",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.recipient_id}: {self.amount} {self.currency} ({self.kind})"


# --- Judging rules ----------------------------------------------------------------------------


class AwardedBy(models.TextChoices):
    OWNER = "owner", _("The challenge owner")
    JUDGES = "judges", _("The judges")
    BOTH = "both", _("The owner or a judge")


MAX_LINEAGE_PERCENT = 30
MAX_LINEAGE_GENERATIONS = 5
MAX_VOTE_PERCENT = 50


class JudgingRules(models.Model):
    """What a challenge declares about awarding (before it is published); defaults when absent."""

    challenge = models.OneToOneField("challenges.Challenge", on_delete=models.CASCADE, related_name="judging_rules")
    lineage_share_percent = models.PositiveSmallIntegerField(
        _("lineage share (%)"),
        default=0,
        validators=[MaxValueValidator(MAX_LINEAGE_PERCENT)],
        help_text=_("Part of every prize that goes to the authors of the blueprints the winner was forked from."),
    )
    lineage_generations = models.PositiveSmallIntegerField(
        _("generations credited"),
        default=MAX_LINEAGE_GENERATIONS,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_LINEAGE_GENERATIONS)],
        help_text=_("Each generation further back receives half of what the one after it receives."),
    )
    awarded_by = models.CharField(
        _("who awards the prizes"), max_length=10, choices=AwardedBy.choices, default=AwardedBy.BOTH
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("judging rules")
        verbose_name_plural = _("judging rules")
        constraints = [
            models.CheckConstraint(
                condition=Q(lineage_share_percent__lte=MAX_LINEAGE_PERCENT), name="submissions_rules_lineage_range"
            ),
            models.CheckConstraint(
                condition=Q(lineage_generations__gte=1) & Q(lineage_generations__lte=MAX_LINEAGE_GENERATIONS),
                name="submissions_rules_generations_range",
            ),
            choices_check("awarded_by", AwardedBy, "submissions_rules_awarded_by_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.challenge_id}"

    @property
    def lineage_fraction(self) -> Decimal:
        return Decimal(self.lineage_share_percent) / 100


class PhaseJudgingRules(models.Model):
    """What a phase declares before it opens: the community-vote share of the ranking, the shortlist."""

    phase = models.OneToOneField("challenges.Phase", on_delete=models.CASCADE, related_name="judging_rules")
    vote_share_percent = models.PositiveSmallIntegerField(
        _("community vote share (%)"),
        default=0,
        validators=[MaxValueValidator(MAX_VOTE_PERCENT)],
        help_text=_("Part of the ranking that comes from the community's votes instead of the judges' scores."),
    )
    shortlist_size = models.PositiveSmallIntegerField(
        _("shortlist size"), default=5, validators=[MinValueValidator(1), MaxValueValidator(100)]
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("phase judging rules")
        verbose_name_plural = _("phase judging rules")
        constraints = [
            models.CheckConstraint(
                condition=Q(vote_share_percent__lte=MAX_VOTE_PERCENT), name="submissions_phase_rules_vote_range"
            ),
            models.CheckConstraint(
                condition=Q(shortlist_size__gte=1) & Q(shortlist_size__lte=100),
                name="submissions_phase_rules_shortlist_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.phase_id}"
