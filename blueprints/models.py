"""Open-source blueprints, their immutable revisions and their files in S3.

Published revisions never change: the database refuses it (triggers in migration 0002), the services
refuse it with a clear message first. A file's bytes live under a content-addressed key that is
never overwritten, so forks and new revisions share keys instead of copying bytes.
"""

from typing import Any

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from blueprints.filetypes import BY_CODE, FILE_TYPE_CHOICES, FileKind, FileType
from blueprints.licences import DEFAULT_LICENCE, Licence
from core.models import TimeStampedModel, TransitionRecord, choices_check


class PartCategory(models.TextChoices):
    WHOLE_VEHICLE = "whole_vehicle", _("Whole vehicle")
    BODY_FRONT = "body_front", _("Body: front")
    BODY_REAR = "body_rear", _("Body: rear")
    BODY_SIDE = "body_side", _("Body: side")
    CHASSIS = "chassis", _("Chassis")
    WHEELS_TYRES = "wheels_tyres", _("Wheels and tyres")
    INTERIOR = "interior", _("Interior")
    DRIVETRAIN = "drivetrain", _("Drivetrain")
    ELECTRICS = "electrics", _("Electrics")
    MATERIALS = "materials", _("Materials")
    OTHER = "other", _("Other")


class Blueprint(TimeStampedModel):
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="blueprints", verbose_name=_("owner")
    )
    title = models.CharField(_("title"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=100, unique=True)
    description = models.TextField(_("description"), max_length=20000, blank=True, help_text=_("Markdown."))
    category = models.CharField(
        _("part category"), max_length=20, choices=PartCategory.choices, default=PartCategory.OTHER
    )
    tags = ArrayField(models.CharField(max_length=40), verbose_name=_("tags"), default=list, blank=True)
    licence = models.CharField(_("licence"), max_length=20, choices=Licence.choices, default=DEFAULT_LICENCE)
    forked_from = models.ForeignKey(
        "Revision",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="forks",
        verbose_name=_("forked from"),
    )
    # Ids of the blueprints this one descends from, the root first: ancestors are `pk IN lineage`,
    # descendants `lineage @> ARRAY[pk]` (GIN index), each one query at any depth.
    lineage = ArrayField(models.BigIntegerField(), verbose_name=_("lineage"), default=list, blank=True)
    # Denormalised from the latest published revision so list pages need no query per row.
    latest_revision = models.ForeignKey("Revision", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    last_published_at = models.DateTimeField(_("last published"), null=True, blank=True)
    has_model = models.BooleanField(_("has a 3D model"), default=False)
    cover_key = models.CharField(max_length=300, blank=True)
    download_count = models.PositiveBigIntegerField(_("downloads"), default=0)
    fork_count = models.PositiveIntegerField(_("forks"), default=0)
    is_hidden = models.BooleanField(_("hidden"), default=False)
    hidden_at = models.DateTimeField(null=True, blank=True)
    hidden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Kept up to date by a trigger (migration 0002) from title, tags and description.
    search_vector = SearchVectorField(null=True, editable=False)

    class Meta:
        verbose_name = _("blueprint")
        verbose_name_plural = _("blueprints")
        indexes = [
            GinIndex(fields=["search_vector"], name="blueprints_search_gin"),
            GinIndex(fields=["lineage"], name="blueprints_lineage_gin"),
            GinIndex(fields=["tags"], name="blueprints_tags_gin"),
            models.Index(fields=["category"], name="blueprints_category_idx"),
            models.Index(fields=["licence"], name="blueprints_licence_idx"),
            models.Index(fields=["-fork_count"], name="blueprints_forks_idx"),
            models.Index(fields=["-download_count"], name="blueprints_downloads_idx"),
            # The library's sorts (selectors.SORT_ORDERINGS) over listed blueprints (selectors.LISTED):
            # keyset pages, each an index range scan, and the newest candidates a search ranks. The
            # first replaces `blueprints_published_idx` on (-last_published_at) of all blueprints.
            models.Index(
                fields=["-last_published_at", "-id"],
                name="blueprints_listed_new_idx",
                condition=Q(is_hidden=False, latest_revision__isnull=False, last_published_at__isnull=False),
            ),
            models.Index(
                fields=["-fork_count", "-last_published_at", "-id"],
                name="blueprints_listed_forks_idx",
                condition=Q(is_hidden=False, latest_revision__isnull=False, last_published_at__isnull=False),
            ),
            models.Index(
                fields=["-download_count", "-last_published_at", "-id"],
                name="blueprints_listed_dl_idx",
                condition=Q(is_hidden=False, latest_revision__isnull=False, last_published_at__isnull=False),
            ),
            # A member's own blueprints ("My blueprints"), most recently changed first.
            models.Index(fields=["owner", "-updated_at", "-id"], name="blueprints_owner_updated_idx"),
        ]
        constraints = [
            choices_check("licence", Licence, "blueprints_licence_open"),
            choices_check("category", PartCategory, "blueprints_category_valid"),
            models.CheckConstraint(
                condition=Q(forked_from__isnull=True, lineage=[]) | Q(forked_from__isnull=False),
                name="blueprints_lineage_only_for_forks",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("blueprints:detail", kwargs={"slug": self.slug})


class Revision(TimeStampedModel):
    blueprint = models.ForeignKey(
        Blueprint, on_delete=models.CASCADE, related_name="revisions", verbose_name=_("blueprint")
    )
    number = models.PositiveIntegerField(_("number"))
    change_notes = models.TextField(_("change notes"), max_length=5000, blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("author")
    )
    # The revision this one started from: the previous one, or the forked one for a fork's first.
    based_on = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("based on")
    )
    is_published = models.BooleanField(_("published"), default=False)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    is_hidden = models.BooleanField(_("hidden"), default=False)
    hidden_at = models.DateTimeField(null=True, blank=True)
    hidden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("revision")
        verbose_name_plural = _("revisions")
        ordering = ["blueprint", "number"]
        constraints = [
            models.UniqueConstraint(fields=["blueprint", "number"], name="blueprints_revision_number_unique"),
            models.CheckConstraint(condition=Q(number__gte=1), name="blueprints_revision_number_positive"),
            models.CheckConstraint(
                condition=Q(is_published=True, published_at__isnull=False)
                | Q(is_published=False, published_at__isnull=True),
                name="blueprints_revision_published_at",
            ),
            # Uploads go to the one draft a blueprint may have at a time.
            models.UniqueConstraint(
                fields=["blueprint"], condition=Q(is_published=False), name="blueprints_revision_one_draft"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.blueprint} r{self.number}"


class FileStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    READY = "ready", _("Ready")
    REJECTED = "rejected", _("Rejected")


class RejectionCode(models.TextChoices):
    CONTENT_MISMATCH = "content_mismatch", _("The content does not match the declared file type.")
    IMAGE_TOO_LARGE = "image_too_large", _("The image has too many pixels (a decompression bomb is refused).")
    UNREADABLE = "unreadable", _("The file could not be read.")
    UNSAFE_ARCHIVE = "unsafe_archive", _("The archive holds paths that could escape the folder it is unpacked in.")
    SIZE_MISMATCH = "size_mismatch", _("The stored file does not have the declared size.")
    UPLOAD_EXPIRED = "upload_expired", _("The upload was not completed within the time allowed.")
    MISSING = "missing", _("The uploaded file was gone before it could be checked.")
    PROCESSING_FAILED = "processing_failed", _("The file could not be processed. Staff can try again.")


class NoPreviewReason(models.TextChoices):
    TOO_LARGE = "too_large", _("The image has too many pixels for a preview. The file itself can be downloaded.")
    FILE_TOO_LARGE = "file_too_large", _("The file is too large for a preview. It can be downloaded.")


class File(TimeStampedModel):
    revision = models.ForeignKey(Revision, on_delete=models.CASCADE, related_name="files", verbose_name=_("revision"))
    original_name = models.CharField(_("name"), max_length=200)
    file_type = models.CharField(_("file type"), max_length=10, choices=FILE_TYPE_CHOICES)
    kind = models.CharField(_("kind"), max_length=20, choices=FileKind.choices)
    content_type = models.CharField(_("content type"), max_length=100)
    size = models.PositiveBigIntegerField(_("size"))
    sha256 = models.CharField("SHA-256", max_length=64, blank=True, db_index=True)
    status = models.CharField(_("status"), max_length=10, choices=FileStatus.choices, default=FileStatus.PENDING)
    rejection_code = models.CharField(_("rejection"), max_length=20, choices=RejectionCode.choices, blank=True)
    rejection_detail = models.CharField(_("rejection detail"), max_length=500, blank=True)
    # `blobs/sha256/<hash>` once ready; shared by every revision and fork holding the same bytes.
    storage_key = models.CharField(max_length=300, blank=True)
    # Where the browser uploads to (`uploads/<uuid>`), until processing moves the bytes.
    upload_key = models.CharField(max_length=300, blank=True)
    multipart_upload_id = models.CharField(max_length=500, blank=True)
    part_size = models.PositiveBigIntegerField(null=True, blank=True)
    upload_completed_at = models.DateTimeField(_("upload completed"), null=True, blank=True)
    processed_at = models.DateTimeField(_("processed"), null=True, blank=True)
    preview_key = models.CharField(max_length=300, blank=True)
    # Why a file whose type has previews (an image, a model) has none, shown instead of it.
    no_preview_reason = models.CharField(
        _("no preview because"), max_length=20, choices=NoPreviewReason.choices, blank=True
    )
    image_width = models.PositiveIntegerField(_("width (px)"), null=True, blank=True)
    image_height = models.PositiveIntegerField(_("height (px)"), null=True, blank=True)
    triangle_count = models.PositiveBigIntegerField(_("triangles"), null=True, blank=True)
    bbox_min = ArrayField(models.FloatField(), size=3, null=True, blank=True)
    bbox_max = ArrayField(models.FloatField(), size=3, null=True, blank=True)
    volume = models.FloatField(_("volume"), null=True, blank=True)
    is_watertight = models.BooleanField(_("watertight"), null=True, blank=True)

    class Meta:
        verbose_name = _("file")
        verbose_name_plural = _("files")
        ordering = ["revision", "original_name"]
        indexes = [
            models.Index(fields=["status", "created_at"], name="blueprints_file_status_idx"),
            models.Index(fields=["upload_key"], name="blueprints_file_upload_key_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["revision", "original_name"],
                condition=~Q(status="rejected"),
                name="blueprints_file_name_unique_in_revision",
            ),
            models.CheckConstraint(
                condition=~Q(status="ready") | (~Q(sha256="") & ~Q(storage_key="")),
                name="blueprints_file_ready_has_blob",
            ),
            models.CheckConstraint(
                condition=~Q(status="rejected") | ~Q(rejection_code=""),
                name="blueprints_file_rejected_has_reason",
            ),
            models.CheckConstraint(
                condition=Q(status="rejected") | Q(rejection_code=""),
                name="blueprints_file_reason_only_when_rejected",
            ),
        ]

    def __str__(self) -> str:
        return self.original_name

    @property
    def type_info(self) -> FileType:
        return BY_CODE[self.file_type]

    @property
    def is_viewable(self) -> bool:
        return self.status == FileStatus.READY and self.type_info.viewable

    @property
    def rejection_reason(self) -> str:
        if self.status != FileStatus.REJECTED:
            return ""
        label = str(RejectionCode(self.rejection_code).label) if self.rejection_code else ""
        return f"{label} {self.rejection_detail}".strip()

    @property
    def no_preview_text(self) -> str:
        return str(NoPreviewReason(self.no_preview_reason).label) if self.no_preview_reason else ""

    @property
    def dimensions(self) -> list[float] | None:
        if self.bbox_min is None or self.bbox_max is None:
            return None
        return [high - low for low, high in zip(self.bbox_min, self.bbox_max, strict=True)]

    def facts(self) -> dict[str, Any]:
        return {
            "width": self.image_width,
            "height": self.image_height,
            "triangles": self.triangle_count,
            "bbox_min": self.bbox_min,
            "bbox_max": self.bbox_max,
            "dimensions": self.dimensions,
            "volume": self.volume,
            "watertight": self.is_watertight,
        }


class FileStatusChange(TransitionRecord):
    """Every move of a file's status (`services.files.file_move`): the staff member or the task
    (processing, the upload check, the sweeper), when, and the rejection's code."""

    file = models.ForeignKey(File, on_delete=models.CASCADE, related_name="status_changes")
    from_status = models.CharField(_("from"), max_length=12, choices=FileStatus.choices)
    to_status = models.CharField(_("to"), max_length=12, choices=FileStatus.choices)
    rejection_code = models.CharField(max_length=20, choices=RejectionCode.choices, blank=True)

    class Meta:
        verbose_name = _("file status change")
        verbose_name_plural = _("file status changes")
        ordering = ["file", "created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.file_id}: {self.from_status} → {self.to_status}"


class RevisionPart(models.Model):
    """A line of a revision's bill of materials: a part the design needs, as its authors declare it.

    Declared on the draft and frozen with it when the revision is published (like its files).
    Mass is per unit; the estimated cost is per unit in `currency`.
    """

    revision = models.ForeignKey(
        Revision, on_delete=models.CASCADE, related_name="bom_parts", verbose_name=_("revision")
    )
    position = models.PositiveSmallIntegerField(_("position"))
    name = models.CharField(_("part"), max_length=200)
    quantity = models.PositiveIntegerField(_("quantity"), default=1)
    material = models.CharField(_("material"), max_length=120, blank=True)
    mass_kg = models.DecimalField(_("mass per unit (kg)"), max_digits=12, decimal_places=3, null=True, blank=True)
    unit_cost = models.DecimalField(
        _("estimated cost per unit"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    currency = models.CharField(_("currency"), max_length=3, blank=True)
    supplier_note = models.CharField(_("supplier note"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("bill of materials line")
        verbose_name_plural = _("bill of materials")
        ordering = ["revision", "position"]
        constraints = [
            models.UniqueConstraint(fields=["revision", "position"], name="blueprints_bom_position_unique"),
            models.CheckConstraint(condition=Q(quantity__gte=1), name="blueprints_bom_quantity_positive"),
            models.CheckConstraint(
                condition=Q(mass_kg__isnull=True) | Q(mass_kg__gte=0), name="blueprints_bom_mass_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(unit_cost__isnull=True, currency="") | Q(unit_cost__gte=0, currency__regex=r"^[A-Z]{3}$"),
                name="blueprints_bom_cost_has_currency",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.name}"
