"""The form of the parts-list page: one row per bill-of-materials line. Rows carry text as typed;
`blueprints.bom.revision_bom_set` checks it and says what is wrong, field by field."""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from blueprints import bom


class BomLineForm(forms.Form):
    name = forms.CharField(label=_("Part"), max_length=bom.MAX_NAME, required=False)
    quantity = forms.CharField(
        label=_("Quantity"), max_length=9, required=False, widget=forms.TextInput(attrs={"inputmode": "numeric"})
    )
    material = forms.CharField(label=_("Material"), max_length=bom.MAX_MATERIAL, required=False)
    mass_kg = forms.CharField(
        label=_("Mass per unit (kg)"),
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
    )
    unit_cost = forms.CharField(
        label=_("Estimated cost per unit"),
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
    )
    currency = forms.CharField(
        label=_("Currency"),
        max_length=3,
        required=False,
        widget=forms.TextInput(attrs={"placeholder": "EUR", "autocapitalize": "characters", "size": 4}),
    )
    supplier_note = forms.CharField(label=_("Supplier note"), max_length=bom.MAX_SUPPLIER_NOTE, required=False)

    def is_blank(self) -> bool:
        """A row left empty (an unused extra row, or one the member cleared) is no line."""
        data = self.cleaned_data
        return not any(data.get(field) for field in ("name", "material", "mass_kg", "unit_cost", "supplier_note"))

    def line(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {field: data.get(field, "") for field in bom.FIELDS} | {"quantity": data.get("quantity") or "1"}


BomFormSet = forms.formset_factory(
    BomLineForm,
    extra=1,
    can_delete=True,
    max_num=bom.MAX_LINES,
    validate_max=True,
    absolute_max=bom.MAX_LINES + 1,
)
