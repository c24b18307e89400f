import zoneinfo
from typing import Any, ClassVar

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from core.models import choices_check

TIME_ZONE_CHOICES = [(name, name) for name in sorted(zoneinfo.available_timezones())]


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra: Any) -> "User":
        if not email:
            raise ValueError("An e-mail address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> "User":
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> "User":
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self._create_user(email, password, **extra)

    def get_by_natural_key(self, username: str | None) -> "User":
        return self.get(email__iexact=username)


class EmailFrequency(models.TextChoices):
    IMMEDIATE = "immediate", _("Immediately")
    DAILY = "daily", _("Once a day (digest)")
    OFF = "off", _("Never")


class Experience(models.TextChoices):
    PROFESSIONAL = "professional", _("Professional")
    ENTHUSIAST = "enthusiast", _("Enthusiast")


def avatar_upload_to(instance: "User", filename: str) -> str:
    # The storage never overwrites, so a new avatar gets a new key and old URLs stay valid.
    return f"avatars/{instance.pk or 'new'}/{filename}"


class User(AbstractBaseUser, PermissionsMixin):
    """A member of Coachworks. Signs in with e-mail; clients, judges and designers alike."""

    email = models.EmailField(_("e-mail address"), max_length=254)
    display_name = models.CharField(_("display name"), max_length=80, blank=True)
    country = CountryField(_("country"), blank=True)
    skills = ArrayField(models.CharField(max_length=40), verbose_name=_("skills"), default=list, blank=True)
    experience = models.CharField(
        _("experience"), max_length=20, choices=Experience.choices, default=Experience.ENTHUSIAST
    )
    bio = models.TextField(_("bio"), max_length=4000, blank=True)
    avatar = models.ImageField(_("avatar"), upload_to=avatar_upload_to, blank=True)
    time_zone = models.CharField(_("time zone"), max_length=64, choices=TIME_ZONE_CHOICES, default="UTC")
    preferred_language = models.CharField(
        _("preferred language"), max_length=8, choices=settings.LANGUAGES, default="en"
    )
    # Notification e-mail and privacy preferences.
    email_frequency = models.CharField(
        _("notification e-mails"), max_length=10, choices=EmailFrequency.choices, default=EmailFrequency.IMMEDIATE
    )
    email_muted_kinds = ArrayField(
        models.CharField(max_length=40), verbose_name=_("no e-mail for"), default=list, blank=True
    )
    show_earnings = models.BooleanField(
        _("show my earnings on my profile"),
        default=False,
        help_text=_("Prize money you won stays private unless you tick this."),
    )
    listed_in_directory = models.BooleanField(_("list me in the member directory"), default=True)
    # The sum of the member's ReputationEntry rows, kept here so the directory sorts by it in one query;
    # `reputation_recompute` rebuilds it from the rows.
    reputation = models.IntegerField(_("reputation"), default=0, editable=False)
    is_staff = models.BooleanField(_("staff status"), default=False)
    is_active = models.BooleanField(_("active"), default=True)
    date_joined = models.DateTimeField(_("member since"), default=timezone.now)

    objects: ClassVar[UserManager] = UserManager()

    EMAIL_FIELD = "email"
    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        verbose_name = _("member")
        verbose_name_plural = _("members")
        constraints = [
            models.UniqueConstraint(Lower("email"), name="community_user_email_ci_unique"),
        ]
        indexes = [
            models.Index(fields=["country"], name="community_user_country_idx"),
            models.Index(fields=["-reputation", "id"], name="community_user_reputation_idx"),
            GinIndex(fields=["skills"], name="community_user_skills_gin"),
            # The directory's sorts and the leaderboard: keyset pages of listed members
            # (selectors.DIRECTORY_ORDERINGS), each an index range scan.
            models.Index(
                fields=["-reputation", "display_name", "id"],
                name="community_user_dir_rep_idx",
                condition=Q(is_active=True, listed_in_directory=True),
            ),
            models.Index(
                fields=["display_name", "id"],
                name="community_user_dir_name_idx",
                condition=Q(is_active=True, listed_in_directory=True),
            ),
            models.Index(
                fields=["-date_joined", "-id"],
                name="community_user_dir_new_idx",
                condition=Q(is_active=True, listed_in_directory=True),
            ),
        ]

    def __str__(self) -> str:
        return self.public_name

    @property
    def public_name(self) -> str:
        """What other members see: the display name, never the e-mail address."""
        return self.display_name or f"member-{self.pk}"

    def get_full_name(self) -> str:
        return self.public_name

    def get_short_name(self) -> str:
        return self.public_name

    def clean(self) -> None:
        super().clean()
        self.email = self.__class__.objects.normalize_email(self.email).lower()


# --- Follows ----------------------------------------------------------------------------------


class Follow(models.Model):
    """A member follows a member, a challenge or a blueprint (any registered target)."""

    follower = models.ForeignKey(User, on_delete=models.CASCADE, related_name="follows", verbose_name=_("follower"))
    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, related_name="+")
    object_id = models.PositiveBigIntegerField()
    target = GenericForeignKey("content_type", "object_id")
    created_at = models.DateTimeField(_("since"), auto_now_add=True)

    class Meta:
        verbose_name = _("follow")
        verbose_name_plural = _("follows")
        constraints = [
            models.UniqueConstraint(fields=["follower", "content_type", "object_id"], name="community_follow_once"),
        ]
        indexes = [
            models.Index(fields=["content_type", "object_id"], name="community_follow_target_idx"),
            # Keyset pages of what a member follows, newest first (and the feed's newest follows).
            models.Index(fields=["follower", "-created_at", "-id"], name="community_follow_page_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.follower_id} → {self.content_type_id}:{self.object_id}"


# --- Comments ---------------------------------------------------------------------------------


class Comment(models.Model):
    """A comment on a registered target; replies hang under a top-level comment (two levels).

    Hidden comments stay in the table with the reason: moderation hides, it never deletes.
    """

    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, related_name="+")
    object_id = models.PositiveBigIntegerField()
    target = GenericForeignKey("content_type", "object_id")
    author = models.ForeignKey(User, on_delete=models.CASCADE, related_name="comments", verbose_name=_("author"))
    parent = models.ForeignKey(
        "self", on_delete=models.CASCADE, null=True, blank=True, related_name="replies", verbose_name=_("reply to")
    )
    body = models.TextField(_("comment (Markdown)"), max_length=10000)
    body_html = models.TextField(editable=False)
    created_at = models.DateTimeField(_("written"), auto_now_add=True, db_index=True)
    edited_at = models.DateTimeField(_("edited"), null=True, blank=True)
    is_hidden = models.BooleanField(_("hidden"), default=False)
    hidden_reason = models.CharField(_("reason for hiding"), max_length=300, blank=True)
    hidden_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    hidden_at = models.DateTimeField(_("hidden at"), null=True, blank=True)

    class Meta:
        verbose_name = _("comment")
        verbose_name_plural = _("comments")
        ordering = ["created_at", "pk"]
        indexes = [
            models.Index(fields=["content_type", "object_id", "created_at"], name="community_comment_target_idx"),
            # Keyset pages of a thread's top-level comments, oldest first.
            models.Index(
                fields=["content_type", "object_id", "created_at", "id"],
                name="community_comment_top_idx",
                condition=Q(parent__isnull=True),
            ),
            models.Index(fields=["author", "-created_at"], name="community_comment_author_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=~Q(parent=models.F("id")), name="community_comment_not_own_parent"),
            models.CheckConstraint(
                condition=Q(is_hidden=False) | ~Q(hidden_reason=""), name="community_comment_hidden_has_reason"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.author_id}: {self.body[:40]}"


class ReportStatus(models.TextChoices):
    OPEN = "open", _("Open")
    HIDDEN = "hidden", _("Comment hidden")
    DISMISSED = "dismissed", _("Dismissed")


class CommentReport(models.Model):
    """A member's report of a comment; staff resolve it by hiding the comment or dismissing the report."""

    comment = models.ForeignKey(Comment, on_delete=models.CASCADE, related_name="reports")
    reporter = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+", verbose_name=_("reported by"))
    reason = models.CharField(_("reason"), max_length=500)
    status = models.CharField(_("status"), max_length=10, choices=ReportStatus.choices, default=ReportStatus.OPEN)
    created_at = models.DateTimeField(_("reported"), auto_now_add=True)
    resolved_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)

    class Meta:
        verbose_name = _("comment report")
        verbose_name_plural = _("comment reports")
        ordering = ["created_at"]
        constraints = [
            models.UniqueConstraint(fields=["comment", "reporter"], name="community_report_once_per_member"),
            choices_check("status", ReportStatus, "community_report_status_valid"),
        ]
        indexes = [models.Index(fields=["status", "created_at"], name="community_report_queue_idx")]

    def __str__(self) -> str:
        return f"{self.comment_id} ({self.status})"


# --- Notifications ----------------------------------------------------------------------------


class EmailState(models.TextChoices):
    NONE = "none", _("No e-mail")
    QUEUED = "queued", _("Queued")
    DIGEST = "digest", _("Waiting for the daily digest")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class Notification(models.Model):
    """One notice to one member about one event; `event_key` makes it happen once per event."""

    recipient = models.ForeignKey(User, on_delete=models.CASCADE, related_name="notifications")
    # A kind registered by the app that owns the event (`community.notifications.register_kind`).
    kind = models.CharField(_("kind"), max_length=40)
    event_key = models.CharField(_("event"), max_length=200)
    context = models.JSONField(_("details"), default=dict, blank=True)
    url = models.CharField(_("link"), max_length=500, blank=True)
    actor = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(_("when"), default=timezone.now, db_index=True)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)
    email_state = models.CharField(_("e-mail"), max_length=10, choices=EmailState.choices, default=EmailState.NONE)
    emailed_at = models.DateTimeField(_("e-mailed"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-pk"]
        constraints = [
            # `notify` inserts with ON CONFLICT on these columns: an event announced twice changes nothing.
            models.UniqueConstraint(fields=["recipient", "event_key"], name="community_notification_once"),
            choices_check("email_state", EmailState, "community_email_state_valid"),
        ]
        indexes = [
            models.Index(fields=["recipient"], name="community_notification_unread", condition=Q(read_at__isnull=True)),
            # Keyset pages of a member's notifications (all, and unread only), newest first (the first
            # replaces `community_notification_list` on (recipient, -created_at), its prefix).
            models.Index(fields=["recipient", "-created_at", "-id"], name="community_notif_page"),
            models.Index(
                fields=["recipient", "-created_at", "-id"],
                name="community_notif_unread_page",
                condition=Q(read_at__isnull=True),
            ),
            models.Index(fields=["recipient"], name="community_notification_digest", condition=Q(email_state="digest")),
        ]

    def __str__(self) -> str:
        return f"{self.recipient_id}: {self.event_key}"


# --- Reputation -------------------------------------------------------------------------------


class ReputationReason(models.TextChoices):
    AWARD = "award", _("Award won")
    ENTRY = "entry", _("Entry submitted")
    VOTE = "vote", _("Vote received")
    FORK = "fork", _("Blueprint forked by another member")
    ADJUSTMENT = "adjustment", _("Adjustment by staff")


class ReputationEntry(models.Model):
    """Points granted to a member for one thing that happened (`source_key`), with the reason."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="reputation_entries")
    reason = models.CharField(_("reason"), max_length=20, choices=ReputationReason.choices)
    source_key = models.CharField(_("source"), max_length=200)
    points = models.IntegerField(_("points"))
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2, null=True, blank=True)
    currency = models.CharField(_("currency"), max_length=3, blank=True)
    created_at = models.DateTimeField(_("granted"), auto_now_add=True)

    class Meta:
        verbose_name = _("reputation entry")
        verbose_name_plural = _("reputation entries")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["user", "source_key"], name="community_reputation_once_per_source"),
            choices_check("reason", ReputationReason, "community_reason_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.points:+d} ({self.reason})"


# --- Personal API tokens ----------------------------------------------------------------------


class ApiTokenScope(models.TextChoices):
    READ = "read", _("Read only")
    READ_WRITE = "read-write", _("Read and write")


class ApiToken(models.Model):
    """A member's personal token for programs using the API; only the SHA-256 of its secret is kept.

    `prefix` is the secret's first characters: not secret, it finds the row and names the token in
    lists. A token works until `expires_at` unless `revoked_at` is set.
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens", verbose_name=_("member"))
    name = models.CharField(_("name"), max_length=80)
    prefix = models.CharField(_("prefix"), max_length=16, unique=True)
    secret_hash = models.CharField(_("secret hash"), max_length=64)
    scope = models.CharField(_("scope"), max_length=10, choices=ApiTokenScope.choices, default=ApiTokenScope.READ)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires"))
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["user", "-created_at"], name="community_apitoken_user_idx")]
        constraints = [
            choices_check("scope", ApiTokenScope, "community_apitoken_scope_valid"),
            models.CheckConstraint(
                condition=Q(expires_at__gt=models.F("created_at")), name="community_apitoken_expires"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None and self.expires_at > timezone.now()
