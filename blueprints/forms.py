"""Forms of the blueprints app: they read and check input; services decide."""

from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from blueprints.licences import Licence, fork_licences
from blueprints.models import Blueprint, PartCategory
from blueprints.selectors import SearchFilters, Sort


class SearchForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=200)
    category = forms.ChoiceField(label=_("Part"), required=False, choices=[("", _("All parts")), *PartCategory.choices])
    licence = forms.ChoiceField(label=_("Licence"), required=False, choices=[("", _("Any licence")), *Licence.choices])
    has_model = forms.ChoiceField(
        label=_("3D model"),
        required=False,
        choices=[("", _("With or without")), ("yes", _("With a 3D model")), ("no", _("Without a 3D model"))],
    )
    sort = forms.ChoiceField(label=_("Sort by"), required=False, choices=Sort.CHOICES)
    owner = forms.IntegerField(required=False, widget=forms.HiddenInput, min_value=1)
    tag = forms.CharField(required=False, widget=forms.HiddenInput, max_length=40)

    def filters(self) -> SearchFilters:
        data = self.cleaned_data
        return SearchFilters(
            query=data.get("q") or "",
            category=data.get("category") or "",
            licence=data.get("licence") or "",
            owner_id=data.get("owner"),
            has_model={"yes": True, "no": False}.get(data.get("has_model") or ""),
            tag=data.get("tag") or "",
            sort=data.get("sort") or "",
        )


class TagsField(forms.CharField):
    def to_python(self, value: Any) -> list[str]:  # type: ignore[override]
        text = super().to_python(value) or ""
        return [tag.strip() for tag in text.split(",") if tag.strip()]

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, list):
            return ", ".join(value)
        return value


class BlueprintForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    description = forms.CharField(
        label=_("Description"),
        required=False,
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_("Markdown: **bold**, *italic*, lists, links, tables."),
    )
    category = forms.ChoiceField(label=_("Part category"), choices=PartCategory.choices, initial=PartCategory.OTHER)
    tags = TagsField(label=_("Tags"), required=False, help_text=_("Separated by commas, e.g. off-road, aluminium."))
    licence = forms.ChoiceField(
        label=_("Licence"),
        choices=Licence.choices,
        initial=Licence.CC_BY_SA_4,
        help_text=_("Every blueprint is open source. The licence cannot change once a revision is published."),
    )

    @classmethod
    def for_blueprint(cls, blueprint: Blueprint, data: Any = None) -> "BlueprintForm":
        fields = ("title", "description", "category", "tags", "licence")
        form = cls(data, initial={field: getattr(blueprint, field) for field in fields})
        licence = cast(forms.ChoiceField, form.fields["licence"])
        if blueprint.latest_revision_id is not None:
            licence.disabled = True
        elif blueprint.forked_from is not None:
            allowed = fork_licences(blueprint.forked_from.blueprint.licence)
            licence.choices = [(value, label) for value, label in Licence.choices if value in allowed]
        return form

    def changes(self) -> dict[str, Any]:
        return {name: value for name, value in self.cleaned_data.items() if not self.fields[name].disabled}


class ForkForm(forms.Form):
    title = forms.CharField(label=_("Title of your fork"), max_length=200, required=False)
    licence = forms.ChoiceField(label=_("Licence"), choices=Licence.choices)

    def __init__(self, *args: Any, parent: Blueprint, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        allowed = fork_licences(parent.licence)
        licence_field = cast(forms.ChoiceField, self.fields["licence"])
        licence_field.choices = [(value, label) for value, label in Licence.choices if value in allowed]
        licence_field.initial = parent.licence
        self.fields["title"].widget.attrs["placeholder"] = parent.title


class PublishForm(forms.Form):
    change_notes = forms.CharField(
        label=_("What changed"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
