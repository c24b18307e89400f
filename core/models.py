from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models.expressions import Func, Star, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


def choices_check(field: str, choices: type[models.TextChoices], name: str) -> models.CheckConstraint:
    """A database constraint that keeps `field` to the values of `choices` (a model's `Meta.constraints`)."""
    return models.CheckConstraint(condition=models.Q(**{f"{field}__in": choices.values}), name=name)


def subquery_count(queryset: models.QuerySet[Any]) -> Coalesce:
    """The number of `queryset`'s rows as a correlated subquery (filter it with `OuterRef`), 0 when none.

    `COUNT(*)` is a plain function here, not an aggregate: it counts the matching rows without a
    GROUP BY (an index-only scan can answer it), and PostgreSQL evaluates it only for the outer rows
    a query returns (after LIMIT), where `Count("relation")` would join and group every row first.
    """
    counted = queryset.order_by().annotate(n=Func(Star(), function="COUNT", output_field=models.IntegerField()))
    return Coalesce(Subquery(counted.values("n"), output_field=models.IntegerField()), 0)


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class TransitionRecord(models.Model):
    """Who or what made a status move, when and why (see `core.statemachine.apply_move`).

    `actor` is the member who moved it (or for whom the system acted); `task` names the task,
    webhook or service when the system moved it. One of the two is always set.
    """

    from_status = models.CharField(_("from"), max_length=12)
    to_status = models.CharField(_("to"), max_length=12)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    task = models.CharField(_("task"), max_length=80, blank=True, help_text=_("The task that made the move."))
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("when"), auto_now_add=True, db_index=True)

    class Meta:
        abstract = True

    @property
    def made_by(self) -> str:
        return getattr(self.actor, "public_name", "") if self.actor_id and self.actor else (self.task or "?")


class StaffAction(models.Model):
    """One thing a staff member did (an admin action, an object page's button, a save): who, what,
    when, the object's fields before and after, and the challenge and member it concerns.

    Written by `core.audit.record_staff_action` only; never changed afterwards. Core imports no
    other app, so the challenge is kept as its id and title (the member is a user, which core may
    name through `AUTH_USER_MODEL`), and the object acted on as a generic reference.
    """

    at = models.DateTimeField(_("when"), default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("staff member"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="staff_actions_taken",
    )
    actor_label = models.CharField(_("staff member (as recorded)"), max_length=254)
    action = models.CharField(_("action"), max_length=80)
    summary = models.CharField(_("what"), max_length=300)
    reason = models.TextField(_("reason"), blank=True)
    content_type = models.ForeignKey(
        ContentType, verbose_name=_("kind of object"), null=True, blank=True, on_delete=models.PROTECT
    )
    object_id = models.CharField(_("object id"), max_length=64, blank=True)
    object_repr = models.CharField(_("object"), max_length=200, blank=True)
    challenge_id = models.PositiveBigIntegerField(_("challenge id"), null=True, blank=True)
    challenge_label = models.CharField(_("challenge"), max_length=200, blank=True)
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("member concerned"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="staff_actions_about",
    )
    before = models.JSONField(_("before"), null=True, blank=True)
    after = models.JSONField(_("after"), null=True, blank=True)

    class Meta:
        verbose_name = _("staff action")
        verbose_name_plural = _("staff actions")
        ordering = ["-at", "-id"]
        indexes = [
            # The trail's three views: everything, per challenge, per member (and per staff member).
            models.Index(fields=["-at", "-id"], name="core_staffaction_at"),
            models.Index(fields=["challenge_id", "-at", "-id"], name="core_staffaction_challenge"),
            models.Index(fields=["member", "-at", "-id"], name="core_staffaction_member"),
            models.Index(fields=["actor", "-at", "-id"], name="core_staffaction_actor"),
        ]

    def __str__(self) -> str:
        return f"{self.actor_label}: {self.summary}"

    def value_before(self, field: str) -> object:
        return (self.before or {}).get(field)

    def value_after(self, field: str) -> object:
        return (self.after or {}).get(field)
