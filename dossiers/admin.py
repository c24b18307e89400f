"""Read-only admin of dossiers, their versions and packages: versions are immutable and made by the
award and completion receivers; packages are built by workers. Staff read them here."""

from typing import Any

from django.contrib import admin

from core.admin import ReadOnlyMixin, ReadOnlyTabularInline, StaffAdminMixin
from core.audit import Concerns
from dossiers.models import Dossier, DossierPackage, DossierPart, DossierVersion


class DossierVersionInline(ReadOnlyTabularInline):
    model = DossierVersion
    fields = ("number", "created_at", "is_complete", "fingerprint")
    readonly_fields = fields
    show_change_link = True


@admin.register(Dossier)
class DossierAdmin(StaffAdminMixin, ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["challenge", "latest_number", "created_at", "updated_at"]
    search_fields = ["challenge__title", "challenge__slug"]
    list_select_related = ["challenge"]
    readonly_fields = [field.name for field in Dossier._meta.fields]
    inlines = [DossierVersionInline]


class DossierPartInline(ReadOnlyTabularInline):
    model = DossierPart
    fields = ("position", "phase", "award", "entry", "revision", "licence")
    readonly_fields = fields


@admin.register(DossierVersion)
class DossierVersionAdmin(StaffAdminMixin, ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["__str__", "dossier", "number", "created_at", "is_complete"]
    list_filter = ["is_complete"]
    search_fields = ["dossier__challenge__title", "dossier__challenge__slug"]
    list_select_related = ["dossier__challenge"]
    readonly_fields = [field.name for field in DossierVersion._meta.fields]
    inlines = [DossierPartInline]

    def concerns(self, obj: Any) -> Concerns:
        challenge = obj.dossier.challenge
        return Concerns(challenge_id=challenge.pk, challenge_label=str(challenge), member_id=None)


@admin.register(DossierPackage)
class DossierPackageAdmin(StaffAdminMixin, ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["__str__", "status", "files_done", "files_total", "size", "attempts", "finished_at"]
    list_filter = ["status"]
    search_fields = ["version__dossier__challenge__title", "sha256"]
    list_select_related = ["version__dossier__challenge"]
    readonly_fields = [field.name for field in DossierPackage._meta.fields]

    def concerns(self, obj: Any) -> Concerns:
        challenge = obj.version.dossier.challenge
        return Concerns(challenge_id=challenge.pk, challenge_label=str(challenge), member_id=None)
