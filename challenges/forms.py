"""Forms of the challenges app: they read and check input; the services decide and write."""

import re
from decimal import Decimal
from typing import Any, cast

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator, validate_email
from django.utils.translation import gettext_lazy as _

from challenges.models import (
    Challenge,
    ChallengeStatus,
    Currency,
    Phase,
    PhaseKind,
    PhaseStatus,
    VehicleType,
)
from challenges.selectors import ChallengeFilters
from challenges.services.phases import MAX_CRITERIA, MAX_PRIZES, CriterionData
from core.money import MoneyFormField

DATETIME_WIDGET_FORMAT = "%Y-%m-%dT%H:%M"


class DateTimeLocalInput(forms.DateTimeInput):
    """The browser's date-and-time picker; values are read in the member's own time zone."""

    input_type = "datetime-local"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format=DATETIME_WIDGET_FORMAT)


class ChallengeFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=200)
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("Any status")), *[(s.value, s.label) for s in ChallengeStatus if s != ChallengeStatus.DRAFT]],
    )
    vehicle_type = forms.ChoiceField(
        label=_("Vehicle type"), required=False, choices=[("", _("Any vehicle")), *VehicleType.choices]
    )
    open_phase_kind = forms.ChoiceField(
        label=_("Phase open now"), required=False, choices=[("", _("Any phase")), *PhaseKind.choices]
    )
    currency = forms.ChoiceField(label=_("Currency"), required=False, choices=[("", _("Any")), *Currency.choices])
    budget_min = MoneyFormField(label=_("Budget from"), required=False, min_value=0, max_digits=14)
    budget_max = MoneyFormField(label=_("Budget up to"), required=False, min_value=0, max_digits=14)
    mine = forms.BooleanField(label=_("Only mine"), required=False)

    def filters(self) -> ChallengeFilters:
        data = self.cleaned_data
        return ChallengeFilters(
            status=data.get("status") or "",
            vehicle_type=data.get("vehicle_type") or "",
            open_phase_kind=data.get("open_phase_kind") or "",
            currency=data.get("currency") or "",
            budget_min=data.get("budget_min"),
            budget_max=data.get("budget_max"),
            q=data.get("q") or "",
            mine=bool(data.get("mine")),
        )


BRIEF_FORM_FIELDS = [
    "title", "organisation_name", "summary", "cover_image", "vehicle_type", "terrain", "climate", "region",
    "duties", "payload_kg", "range_km", "passengers", "top_speed_kmh", "regulations", "budget_per_unit",
    "materials_to_avoid", "description", "budget", "currency", "sealed_entries", "invite_only",
]  # fmt: skip


class BriefForm(forms.ModelForm):
    """Step 1: the vehicle brief and the budget. After publishing, edits need a change note."""

    change_note = forms.CharField(
        label=_("What changed"),
        required=False,
        max_length=500,
        help_text=_("Members read every version of a published brief; say what you changed and why."),
    )

    class Meta:
        model = Challenge
        fields = BRIEF_FORM_FIELDS
        field_classes = {"budget": MoneyFormField, "budget_per_unit": MoneyFormField}  # ASCII digits only
        widgets = {
            "summary": forms.Textarea(attrs={"rows": 2}),
            "duties": forms.Textarea(attrs={"rows": 3}),
            "regulations": forms.Textarea(attrs={"rows": 3}),
            "materials_to_avoid": forms.Textarea(attrs={"rows": 2}),
            "description": forms.Textarea(attrs={"rows": 10}),
        }
        help_texts = {
            "description": _("Markdown: **bold**, lists, links, tables."),
            "budget": _("The total prize money of all phases must fit within it."),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        challenge: Challenge = self.instance
        self.fields["budget"].validators.append(MinValueValidator(Decimal("0.01")))
        self.fields["budget_per_unit"].validators.append(MinValueValidator(Decimal(0)))
        if challenge.pk and challenge.status != ChallengeStatus.DRAFT:
            for name in ("budget", "currency"):
                self.fields[name].disabled = True
                self.fields[name].help_text = _("Fixed once the challenge is submitted for funding.")
        if challenge.is_published:
            self.fields["sealed_entries"].disabled = True
            self.fields["invite_only"].disabled = True
        else:
            del self.fields["change_note"]


class PhaseForm(forms.ModelForm):
    depends_on = forms.ModelMultipleChoiceField(
        label=_("Opens only after these phases are awarded"),
        queryset=Phase.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = Phase
        fields = ["kind", "title", "brief", "opens_at", "closes_at", "judging_ends_at", "entry_limit"]
        widgets = {
            "opens_at": DateTimeLocalInput(),
            "closes_at": DateTimeLocalInput(),
            "judging_ends_at": DateTimeLocalInput(),
            "brief": forms.Textarea(attrs={"rows": 4}),
        }
        help_texts = {
            "opens_at": _("In your time zone."),
            "judging_ends_at": _("By when the judges award the prizes."),
        }

    def __init__(self, *args: Any, challenge: Challenge, editable: set[str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        earlier = Phase.objects.filter(challenge=challenge).exclude(status=PhaseStatus.CANCELLED)
        if self.instance.pk:
            earlier = earlier.filter(position__lt=self.instance.position)
            self.initial["depends_on"] = list(self.instance.requirements.values_list("required_id", flat=True))
        depends_on = cast(forms.ModelMultipleChoiceField, self.fields["depends_on"])
        depends_on.queryset = earlier.order_by("position")
        if not depends_on.queryset.exists():
            del self.fields["depends_on"]
        if editable is not None:
            for name, field in self.fields.items():
                if name not in editable:
                    field.disabled = True

    def _get_validation_exclusions(self) -> set[str]:
        # The order of the dates is checked in `clean`, with a message on the field that is wrong,
        # rather than by the model's check constraint, whose message belongs to no field.
        return {*super()._get_validation_exclusions(), "closes_at"}  # type: ignore[misc]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        opens, closes, judged = data.get("opens_at"), data.get("closes_at"), data.get("judging_ends_at")
        if opens and closes and closes <= opens:
            self.add_error("closes_at", _("Must be after the opening time."))
        if closes and judged and judged < closes:
            self.add_error("judging_ends_at", _("Must not be before the closing time."))
        return data


class PrizeForm(forms.Form):
    amount = MoneyFormField(
        label=_("Prize"), required=False, min_value=Decimal("0.01"), max_digits=14, decimal_places=2
    )


class CriterionForm(forms.Form):
    name = forms.CharField(label=_("Criterion"), required=False, max_length=80)
    weight = forms.IntegerField(label=_("Weight"), required=False, min_value=1, max_value=100, initial=1)
    description = forms.CharField(label=_("Description"), required=False, max_length=500)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("description") and not data.get("name"):
            self.add_error("name", _("Give the criterion a name."))
        return data


PrizeFormSet = forms.formset_factory(PrizeForm, extra=3, max_num=MAX_PRIZES, validate_max=True)
CriterionFormSet = forms.formset_factory(CriterionForm, extra=3, max_num=MAX_CRITERIA, validate_max=True)


def prize_amounts(formset: forms.BaseFormSet) -> list[Decimal]:
    """Ranks follow the order of the filled rows: the first filled row is rank 1."""
    return [form.cleaned_data["amount"] for form in formset.forms if form.cleaned_data.get("amount")]


def criteria_data(formset: forms.BaseFormSet) -> list[CriterionData]:
    return [
        CriterionData(
            name=form.cleaned_data["name"],
            weight=form.cleaned_data.get("weight") or 1,
            description=form.cleaned_data.get("description") or "",
        )
        for form in formset.forms
        if form.cleaned_data.get("name")
    ]


def _split_emails(value: str) -> list[str]:
    emails = []
    for item in re.split(r"[\s,;]+", value or ""):
        if item and item.lower() not in emails:
            emails.append(item.lower())
    return emails


class EmailListForm(forms.Form):
    emails = forms.CharField(
        label=_("E-mail addresses"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One or more, separated by commas or new lines."),
    )

    def clean_emails(self) -> list[str]:
        emails = _split_emails(self.cleaned_data["emails"])
        bad = []
        for email in emails:
            try:
                validate_email(email)
            except ValidationError:
                bad.append(email)
        if bad:
            raise ValidationError(_("Not an e-mail address: %(emails)s") % {"emails": ", ".join(bad)})
        if not emails:
            raise ValidationError(_("Enter at least one e-mail address."))
        if len(emails) > 50:
            raise ValidationError(_("At most 50 addresses at a time."))
        return emails


class PhaseMoveForm(forms.Form):
    to = forms.ChoiceField(choices=PhaseStatus.choices)
    reason = forms.CharField(label=_("Reason"), required=False, max_length=500)


class ConflictForm(forms.Form):
    has_conflict = forms.TypedChoiceField(
        label=_("Do you have a conflict of interest in this challenge?"),
        choices=[("no", _("No: I have no ties to the client or to any entrant.")), ("yes", _("Yes"))],
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
    )
    statement = forms.CharField(
        label=_("Statement"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("If yes: who or what, and how you are connected."),
    )
