"""Challenges, their phases, prize tables, judging criteria, judges and the recorded status moves.

Invariants the database can hold are constraints here (dates ordered, positions unique, amounts
positive, one recorded move per phase and target status); those spanning rows (prizes within the
budget, dependencies awarded before a phase opens) are kept by `challenges.services` under row locks.
"""

import uuid
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVector
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.models import TimeStampedModel, TransitionRecord, choices_check


class Currency(models.TextChoices):
    EUR = "EUR", "EUR"
    USD = "USD", "USD"
    GBP = "GBP", "GBP"
    CHF = "CHF", "CHF"


class VehicleType(models.TextChoices):
    CAR = "car", _("Passenger car")
    VAN = "van", _("Van")
    TRUCK = "truck", _("Truck")
    BUS = "bus", _("Bus")
    MOTORCYCLE = "motorcycle", _("Motorcycle")
    OFF_ROAD = "off_road", _("Off-road vehicle")
    AGRICULTURAL = "agricultural", _("Agricultural vehicle")
    SPECIAL = "special", _("Special-purpose vehicle")
    OTHER = "other", _("Other")


class Terrain(models.TextChoices):
    CITY = "city", _("City streets")
    ROAD = "road", _("Paved roads")
    GRAVEL = "gravel", _("Gravel and dirt roads")
    OFF_ROAD = "off_road", _("Off-road")
    MOUNTAIN = "mountain", _("Mountain roads")
    MIXED = "mixed", _("Mixed")


class Climate(models.TextChoices):
    TEMPERATE = "temperate", _("Temperate")
    HOT_DRY = "hot_dry", _("Hot and dry")
    HOT_HUMID = "hot_humid", _("Hot and humid")
    COLD = "cold", _("Cold, snow and ice")
    ALPINE = "alpine", _("Alpine")
    VARIED = "varied", _("Varied")


class ChallengeStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    FUNDING = "funding", _("Funding")
    OPEN = "open", _("Open")
    COMPLETED = "completed", _("Completed")
    CANCELLED = "cancelled", _("Cancelled")


class PhaseKind(models.TextChoices):
    CONCEPT = "concept", _("Concept")
    FRONT = "front", _("Front")
    REAR = "rear", _("Rear")
    SIDE = "side", _("Side")
    WHEELS_TYRES = "wheels_tyres", _("Wheels and tyres")
    MATERIALS = "materials", _("Materials")
    INTERIOR = "interior", _("Interior")
    DRIVETRAIN = "drivetrain", _("Drivetrain")
    OTHER = "other", _("Other")


class PhaseStatus(models.TextChoices):
    SCHEDULED = "scheduled", _("Scheduled")
    OPEN = "open", _("Open")
    JUDGING = "judging", pgettext_lazy("phase status", "Judging")  # the menu's "Judging" is the activity
    AWARDED = "awarded", _("Awarded")
    CLOSED = "closed", _("Closed")
    CANCELLED = "cancelled", _("Cancelled")


class PhaseHold(models.TextChoices):
    """Why a phase whose opening time has come is still scheduled."""

    NONE = "", _("Not held")
    DEPENDENCIES = "dependencies", _("Waiting for the phases it depends on to be awarded")
    DATES_PASSED = "dates_passed", _("Its entry period passed before it could open; new dates are needed")


class JudgeStatus(models.TextChoices):
    INVITED = "invited", _("Invited")
    ACCEPTED = "accepted", _("Accepted")
    DECLINED = "declined", _("Declined")


def cover_upload_to(instance: "Challenge", filename: str) -> str:
    # A fresh key per upload: the storage never overwrites, and old page caches keep working.
    suffix = filename.rsplit(".", 1)[-1].lower()[:8] if "." in filename else "img"
    return f"challenges/covers/{uuid.uuid4().hex}.{suffix}"


class Challenge(TimeStampedModel):
    """A client's commission: the vehicle brief, the budget and the phases it runs in."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("owner"), on_delete=models.PROTECT, related_name="challenges"
    )
    organisation_name = models.CharField(_("client organisation"), max_length=120, blank=True)
    title = models.CharField(_("title"), max_length=140)
    slug = models.SlugField(_("slug"), max_length=160, unique=True)
    summary = models.CharField(_("summary"), max_length=300)

    # The vehicle brief: what, where, what it must do, within which limits.
    vehicle_type = models.CharField(_("vehicle type"), max_length=20, choices=VehicleType.choices)
    terrain = models.CharField(_("terrain"), max_length=20, choices=Terrain.choices, blank=True)
    climate = models.CharField(_("climate"), max_length=20, choices=Climate.choices, blank=True)
    region = models.CharField(_("city or region of use"), max_length=120, blank=True)
    duties = models.TextField(_("duties"), max_length=2000, blank=True)
    payload_kg = models.PositiveIntegerField(_("payload (kg)"), null=True, blank=True)
    range_km = models.PositiveIntegerField(_("range (km)"), null=True, blank=True)
    passengers = models.PositiveSmallIntegerField(_("passengers"), null=True, blank=True)
    top_speed_kmh = models.PositiveSmallIntegerField(_("top speed (km/h)"), null=True, blank=True)
    regulations = models.TextField(_("regulations to meet"), max_length=2000, blank=True)
    budget_per_unit = models.DecimalField(_("budget per unit"), max_digits=14, decimal_places=2, null=True, blank=True)
    materials_to_avoid = models.TextField(_("materials to avoid"), max_length=1000, blank=True)
    description = models.TextField(_("description (Markdown)"), max_length=20000, blank=True)
    cover_image = models.ImageField(_("cover image"), upload_to=cover_upload_to, blank=True)

    budget = models.DecimalField(_("budget"), max_digits=14, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3, choices=Currency.choices, default=Currency.EUR)
    sealed_entries = models.BooleanField(
        _("sealed entries"),
        default=True,
        help_text=_("Entries stay hidden from other members until the phase closes."),
    )
    invite_only = models.BooleanField(
        _("invite only"), default=False, help_text=_("Only invited members can see and enter the challenge.")
    )

    status = models.CharField(
        _("status"), max_length=12, choices=ChallengeStatus.choices, default=ChallengeStatus.DRAFT
    )
    brief_version = models.PositiveIntegerField(_("brief version"), default=0)
    submitted_at = models.DateTimeField(_("submitted for funding"), null=True, blank=True)
    published_at = models.DateTimeField(_("published"), null=True, blank=True)
    funded_at = models.DateTimeField(_("funded"), null=True, blank=True)

    class Meta:
        verbose_name = _("challenge")
        verbose_name_plural = _("challenges")
        ordering = ["-published_at", "-created_at"]
        constraints = [
            choices_check("status", ChallengeStatus, "challenges_challenge_status_valid"),
            choices_check("currency", Currency, "challenges_challenge_currency_valid"),
            models.CheckConstraint(
                condition=Q(budget__gt=0),
                name="challenges_challenge_budget_positive",
                violation_error_message=_("The budget must be more than zero."),
            ),
            models.CheckConstraint(
                condition=Q(budget_per_unit__isnull=True) | Q(budget_per_unit__gte=0),
                name="challenges_challenge_unit_budget_not_negative",
                violation_error_message=_("The budget per unit cannot be negative."),
            ),
            # A challenge is public from the moment it opens, and stays so.
            models.CheckConstraint(
                condition=~Q(status__in=["open", "completed"]) | Q(published_at__isnull=False),
                name="challenges_challenge_open_is_published",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "-published_at"], name="challenges_status_pub_idx"),
            models.Index(fields=["vehicle_type"], name="challenges_vehicle_type_idx"),
            # The challenge list, newest published first (`selectors.PUBLISHED_ORDER`), and one's own.
            models.Index(
                fields=["-published_at", "-id"],
                name="challenges_published_idx",
                condition=Q(published_at__isnull=False),
            ),
            models.Index(fields=["owner", "-created_at", "-id"], name="challenges_owner_created_idx"),
            GinIndex(
                SearchVector("title", "summary", "region", "description", config="simple"),
                name="challenges_search_idx",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("challenges:detail", kwargs={"slug": self.slug})

    @property
    def is_published(self) -> bool:
        return self.published_at is not None

    def brief_snapshot(self) -> dict[str, Any]:
        """The brief as it reads now: what a `BriefVersion` keeps."""
        return {field: _jsonable(getattr(self, field)) for field in BRIEF_FIELDS}


# The fields that make up the brief; changing any of them after publishing creates a new version.
BRIEF_FIELDS = (
    "title", "summary", "organisation_name", "vehicle_type", "terrain", "climate", "region", "duties",
    "payload_kg", "range_km", "passengers", "top_speed_kmh", "regulations", "budget_per_unit",
    "materials_to_avoid", "description",
)  # fmt: skip


def _jsonable(value: object) -> object:
    return str(value) if isinstance(value, Decimal) else value


class BriefVersion(models.Model):
    """The brief as published, and after every later edit, with the owner's note on what changed."""

    challenge = models.ForeignKey(Challenge, on_delete=models.CASCADE, related_name="brief_versions")
    number = models.PositiveIntegerField(_("version"))
    brief = models.JSONField(_("brief"))
    change_note = models.CharField(_("what changed"), max_length=500, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("brief version")
        verbose_name_plural = _("brief versions")
        ordering = ["challenge", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["challenge", "number"], name="challenges_brief_version_unique"),
            models.CheckConstraint(condition=Q(number__gte=1), name="challenges_brief_version_from_one"),
        ]

    def __str__(self) -> str:
        return f"{self.challenge_id} v{self.number}"


class ChallengeInvitation(models.Model):
    """A member invited to an invite-only challenge, by e-mail address (they may join later)."""

    challenge = models.ForeignKey(Challenge, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField(_("e-mail address"))
    invited_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("member invitation")
        verbose_name_plural = _("member invitations")
        constraints = [
            models.UniqueConstraint("challenge", Lower("email"), name="challenges_invitation_email_unique"),
        ]
        indexes = [models.Index(fields=["email"], name="challenges_invite_email_idx")]

    def __str__(self) -> str:
        return self.email


class Phase(TimeStampedModel):
    """One round of a challenge: members enter while it is open, judges award it afterwards."""

    challenge = models.ForeignKey(Challenge, on_delete=models.CASCADE, related_name="phases")
    position = models.PositiveSmallIntegerField(_("position"))
    kind = models.CharField(_("kind"), max_length=20, choices=PhaseKind.choices)
    title = models.CharField(_("title"), max_length=140)
    brief = models.TextField(_("phase brief (Markdown)"), max_length=10000, blank=True)
    opens_at = models.DateTimeField(_("opens"))
    closes_at = models.DateTimeField(_("closes"))
    judging_ends_at = models.DateTimeField(_("judging ends"))
    entry_limit = models.PositiveSmallIntegerField(
        _("entries per member"), default=1, validators=[MinValueValidator(1), MaxValueValidator(20)]
    )
    status = models.CharField(_("status"), max_length=12, choices=PhaseStatus.choices, default=PhaseStatus.SCHEDULED)
    depends_on: "models.ManyToManyField[Phase, PhaseDependency]" = models.ManyToManyField(
        "self",
        symmetrical=False,
        through="PhaseDependency",
        through_fields=("phase", "required"),
        related_name="dependents",
        blank=True,
        verbose_name=_("depends on"),
    )

    # Scheduling: the next time-driven move is due at `next_transition_at` (NULL: none is).
    # The sweep claims due rows; `armed_for` is the deadline a short ETA task was last sent for.
    next_transition_at = models.DateTimeField(null=True, blank=True, editable=False)
    armed_for = models.DateTimeField(null=True, blank=True, editable=False)
    hold = models.CharField(_("held"), max_length=20, choices=PhaseHold.choices, default="", blank=True)
    held_since = models.DateTimeField(_("held since"), null=True, blank=True)

    class Meta:
        verbose_name = _("phase")
        verbose_name_plural = _("phases")
        ordering = ["challenge", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["challenge", "position"],
                name="challenges_phase_position_unique",
                deferrable=models.Deferrable.DEFERRED,
            ),
            models.CheckConstraint(
                condition=Q(opens_at__lt=F("closes_at")) & Q(closes_at__lte=F("judging_ends_at")),
                name="challenges_phase_dates_ordered",
                violation_error_message=_("A phase opens, then closes, then its judging ends, in that order."),
            ),
            models.CheckConstraint(
                condition=Q(entry_limit__gte=1) & Q(entry_limit__lte=20), name="challenges_phase_entry_limit_range"
            ),
            models.CheckConstraint(condition=Q(position__gte=1), name="challenges_phase_position_from_one"),
            choices_check("status", PhaseStatus, "challenges_phase_status_valid"),
            choices_check("kind", PhaseKind, "challenges_phase_kind_valid"),
            models.CheckConstraint(
                condition=Q(hold="") | Q(status="scheduled"), name="challenges_phase_only_scheduled_is_held"
            ),
        ]
        indexes = [
            models.Index(
                fields=["next_transition_at"],
                name="challenges_phase_due_idx",
                condition=Q(next_transition_at__isnull=False),
            ),
            models.Index(fields=["status", "kind"], name="challenges_phase_status_kind"),
        ]

    def __str__(self) -> str:
        return f"{self.position}. {self.title}"


class PhaseDependency(models.Model):
    """`phase` may open only once `required` (an earlier phase) is awarded.

    `builds_on_entries` names the winning entries of `required` the phase builds on. Entries live
    in the submissions app, which checks these ids; challenges only keeps them.
    """

    phase = models.ForeignKey(Phase, on_delete=models.CASCADE, related_name="requirements")
    required = models.ForeignKey(Phase, on_delete=models.CASCADE, related_name="required_by")
    builds_on_entries = ArrayField(models.PositiveBigIntegerField(), default=list, blank=True)

    class Meta:
        verbose_name = _("phase dependency")
        verbose_name_plural = _("phase dependencies")
        constraints = [
            models.UniqueConstraint(fields=["phase", "required"], name="challenges_dependency_unique"),
            models.CheckConstraint(condition=~Q(phase=F("required")), name="challenges_dependency_not_self"),
        ]

    def __str__(self) -> str:
        return f"{self.phase_id} needs {self.required_id}"


class Prize(models.Model):
    phase = models.ForeignKey(Phase, on_delete=models.CASCADE, related_name="prizes")
    rank = models.PositiveSmallIntegerField(_("rank"))
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)

    class Meta:
        verbose_name = _("prize")
        verbose_name_plural = _("prizes")
        ordering = ["phase", "rank"]
        constraints = [
            models.UniqueConstraint(fields=["phase", "rank"], name="challenges_prize_rank_unique"),
            models.CheckConstraint(condition=Q(rank__gte=1), name="challenges_prize_rank_from_one"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="challenges_prize_amount_positive"),
        ]

    def __str__(self) -> str:
        return f"#{self.rank}: {self.amount}"


class Criterion(models.Model):
    phase = models.ForeignKey(Phase, on_delete=models.CASCADE, related_name="criteria")
    name = models.CharField(_("name"), max_length=80)
    description = models.CharField(_("description"), max_length=500, blank=True)
    weight = models.PositiveSmallIntegerField(
        _("weight"), default=1, validators=[MinValueValidator(1), MaxValueValidator(100)]
    )

    class Meta:
        verbose_name = _("criterion")
        verbose_name_plural = _("criteria")
        ordering = ["phase", "-weight", "name"]
        constraints = [
            models.UniqueConstraint("phase", Lower("name"), name="challenges_criterion_name_unique"),
            models.CheckConstraint(
                condition=Q(weight__gte=1) & Q(weight__lte=100), name="challenges_criterion_weight_range"
            ),
        ]

    def __str__(self) -> str:
        return self.name


def new_token() -> str:
    return uuid.uuid4().hex + uuid.uuid4().hex


class JudgeAssignment(TimeStampedModel):
    """A judge invited to a challenge by e-mail; `judge` is set once the address belongs to a member."""

    challenge = models.ForeignKey(Challenge, on_delete=models.CASCADE, related_name="judge_assignments")
    email = models.EmailField(_("e-mail address"))
    judge = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="judge_assignments",
        verbose_name=_("judge"),
    )
    status = models.CharField(_("status"), max_length=10, choices=JudgeStatus.choices, default=JudgeStatus.INVITED)
    token = models.CharField(max_length=64, unique=True, default=new_token, editable=False)
    invited_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    responded_at = models.DateTimeField(_("responded"), null=True, blank=True)
    # The declaration a judge must make before scoring anything in this challenge.
    conflict_declared_at = models.DateTimeField(_("conflicts declared"), null=True, blank=True)
    has_conflict = models.BooleanField(_("has a conflict of interest"), default=False)
    conflict_statement = models.TextField(_("conflict-of-interest statement"), max_length=2000, blank=True)

    class Meta:
        verbose_name = _("judge assignment")
        verbose_name_plural = _("judge assignments")
        ordering = ["challenge", "created_at"]
        constraints = [
            models.UniqueConstraint("challenge", Lower("email"), name="challenges_judge_email_unique"),
            models.UniqueConstraint(
                fields=["challenge", "judge"], name="challenges_judge_unique", condition=Q(judge__isnull=False)
            ),
            choices_check("status", JudgeStatus, "challenges_judge_status_valid"),
            models.CheckConstraint(
                condition=~Q(status="accepted") | Q(judge__isnull=False), name="challenges_judge_accepted_has_member"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.email} ({self.status})"

    @property
    def may_score(self) -> bool:
        """Accepted, conflicts declared, and none declared: the submissions app asks this before scoring."""
        return self.status == JudgeStatus.ACCEPTED and self.conflict_declared_at is not None and not self.has_conflict


class PhaseTransition(TransitionRecord):
    phase = models.ForeignKey(Phase, on_delete=models.CASCADE, related_name="transitions")
    due_at = models.DateTimeField(_("deadline"), null=True, blank=True, help_text=_("For time-driven moves."))

    class Meta:
        verbose_name = _("phase transition")
        verbose_name_plural = _("phase transitions")
        ordering = ["phase", "created_at", "pk"]
        constraints = [
            # The machine has no cycles, so a phase reaches each status at most once: a move made
            # twice by racing workers would break this.
            models.UniqueConstraint(fields=["phase", "to_status"], name="challenges_phase_transition_once"),
            models.CheckConstraint(
                condition=Q(actor__isnull=False) | ~Q(task=""), name="challenges_phase_transition_has_author"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.phase_id}: {self.from_status} → {self.to_status}"


class ChallengeTransition(TransitionRecord):
    challenge = models.ForeignKey(Challenge, on_delete=models.CASCADE, related_name="transitions")

    class Meta:
        verbose_name = _("challenge transition")
        verbose_name_plural = _("challenge transitions")
        ordering = ["challenge", "created_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(actor__isnull=False) | ~Q(task=""), name="challenges_challenge_transition_has_author"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.challenge_id}: {self.from_status} → {self.to_status}"
