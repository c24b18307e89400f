"""The vehicle dossier of a challenge: what its awards make together, in immutable versions.

A `DossierVersion` is made on each award (and when the challenge completes): it pins every
awarded entry of the challenge as a `DossierPart`, with the blueprint revision and licence the
entry had. Versions never change afterwards, except for the placement of each part in the
assembled 3D scene (`PartPlacement`, set by the client or the part's authors) and the derived
files built from a version (`DossierPackage`, the rendered still).
"""

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.models import TimeStampedModel, choices_check


class Dossier(TimeStampedModel):
    challenge = models.OneToOneField(
        "challenges.Challenge", on_delete=models.CASCADE, related_name="dossier", verbose_name=_("challenge")
    )
    # Denormalised: the number of the newest version (0 before the first).
    latest_number = models.PositiveIntegerField(_("latest version"), default=0)

    class Meta:
        verbose_name = _("dossier")
        verbose_name_plural = _("dossiers")

    def __str__(self) -> str:
        return f"Dossier of {self.challenge_id}"


class DossierVersion(models.Model):
    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="versions", verbose_name=_("dossier"))
    number = models.PositiveIntegerField(_("version"))
    created_at = models.DateTimeField(_("made"))
    # SHA-256 of the sorted ids of the awards it holds, and whether the challenge was complete:
    # the same awards and completeness never make a second version.
    fingerprint = models.CharField(max_length=64)
    is_complete = models.BooleanField(_("complete"), default=False)
    # The rendered still of the assembly (PNG in the default bucket) and the placements it shows.
    still_key = models.CharField(max_length=300, blank=True)
    still_digest = models.CharField(max_length=64, blank=True)

    class Meta:
        verbose_name = _("dossier version")
        verbose_name_plural = _("dossier versions")
        ordering = ["dossier", "number"]
        constraints = [
            models.UniqueConstraint(fields=["dossier", "number"], name="dossiers_version_number_unique"),
            models.UniqueConstraint(fields=["dossier", "fingerprint"], name="dossiers_version_fingerprint_unique"),
            models.CheckConstraint(condition=Q(number__gte=1), name="dossiers_version_number_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.dossier_id} v{self.number}"


class DossierPart(models.Model):
    """One awarded entry in a version, pinned: the revision and licence it had when the version was made."""

    version = models.ForeignKey(DossierVersion, on_delete=models.CASCADE, related_name="parts")
    award = models.ForeignKey("submissions.Award", on_delete=models.PROTECT, related_name="+")
    phase = models.ForeignKey("challenges.Phase", on_delete=models.PROTECT, related_name="+")
    entry = models.ForeignKey("submissions.Entry", on_delete=models.PROTECT, related_name="+")
    revision = models.ForeignKey("blueprints.Revision", on_delete=models.PROTECT, related_name="+")
    licence = models.CharField(_("licence"), max_length=20)
    # Order in the dossier: phases in graph order (concept first), then by rank.
    position = models.PositiveSmallIntegerField(_("position"))

    class Meta:
        verbose_name = _("dossier part")
        verbose_name_plural = _("dossier parts")
        ordering = ["version", "position"]
        constraints = [
            models.UniqueConstraint(fields=["version", "award"], name="dossiers_part_award_unique"),
            models.UniqueConstraint(fields=["version", "position"], name="dossiers_part_position_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.version_id}: {self.entry_id} r{self.revision_id}"


class PartPlacement(models.Model):
    """Where a part sits in the assembled vehicle: translate (scene units), rotate (degrees, XYZ), scale."""

    part = models.OneToOneField(DossierPart, on_delete=models.CASCADE, related_name="placement")
    position = ArrayField(models.FloatField(), size=3, default=list)
    rotation = ArrayField(models.FloatField(), size=3, default=list)
    scale = models.FloatField(_("scale"), default=1.0)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(_("placed"), auto_now=True)

    class Meta:
        verbose_name = _("part placement")
        verbose_name_plural = _("part placements")
        constraints = [
            models.CheckConstraint(condition=Q(scale__gt=0) & Q(scale__lte=1000), name="dossiers_placement_scale"),
        ]

    def __str__(self) -> str:
        return f"{self.part_id}: {self.position} {self.rotation} ×{self.scale}"


class PackageStatus(models.TextChoices):
    PENDING = "pending", _("Waiting to be built")
    BUILDING = "building", _("Building")
    READY = "ready", _("Ready")
    FAILED = "failed", _("Failed")


class DossierPackage(TimeStampedModel):
    """The zip of a version (every file, NOTICE.md, the BOM, manifest.json), built by a worker."""

    version = models.OneToOneField(DossierVersion, on_delete=models.CASCADE, related_name="package")
    status = models.CharField(_("status"), max_length=10, choices=PackageStatus.choices, default=PackageStatus.PENDING)
    files_total = models.PositiveIntegerField(default=0)
    files_done = models.PositiveIntegerField(default=0)
    bytes_total = models.PositiveBigIntegerField(default=0)
    bytes_done = models.PositiveBigIntegerField(default=0)
    storage_key = models.CharField(max_length=300, blank=True)
    size = models.PositiveBigIntegerField(null=True, blank=True)
    sha256 = models.CharField("SHA-256", max_length=64, blank=True)
    error = models.CharField(_("error"), max_length=500, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    # The S3 multipart upload of the build under way (a staging key; the finished zip is copied to
    # `storage_key`): kept so that the next attempt aborts what a killed worker left behind.
    upload_key = models.CharField(max_length=300, blank=True)
    upload_id = models.CharField(max_length=300, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("dossier package")
        verbose_name_plural = _("dossier packages")
        constraints = [
            choices_check("status", PackageStatus, "dossiers_package_status_valid"),
            models.CheckConstraint(
                condition=~Q(status="ready") | (~Q(storage_key="") & ~Q(sha256="") & Q(size__isnull=False)),
                name="dossiers_package_ready_has_file",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.version_id}: {self.status}"


class SecondGeneration(models.Model):
    """A challenge posted from a dossier version: the next generation of that vehicle."""

    challenge = models.OneToOneField(
        "challenges.Challenge", on_delete=models.CASCADE, related_name="origin", verbose_name=_("challenge")
    )
    source_version = models.ForeignKey(
        DossierVersion, on_delete=models.PROTECT, related_name="successors", verbose_name=_("started from")
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(_("started"), auto_now_add=True)

    class Meta:
        verbose_name = _("second-generation challenge")
        verbose_name_plural = _("second-generation challenges")

    def __str__(self) -> str:
        return f"{self.challenge_id} from {self.source_version_id}"
