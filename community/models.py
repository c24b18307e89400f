import zoneinfo
from typing import Any, ClassVar

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

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
