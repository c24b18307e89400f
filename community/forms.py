from typing import Any

from django import forms
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from community.models import ApiTokenScope, Experience, User
from community.notifications import kind_choices
from community.selectors import DirectoryFilters, DirectorySort
from community.services import user_update_profile
from community.services.api_tokens import EXPIRY_DAYS_DEFAULT, EXPIRY_DAYS_MAX, EXPIRY_DAYS_MIN


class SignupProfileForm(forms.Form):
    """The profile fields asked at sign-up, next to allauth's e-mail and password."""

    display_name = forms.CharField(label=_("Display name"), max_length=80)
    country = User._meta.get_field("country").formfield(required=False)
    experience = forms.ChoiceField(label=_("Experience"), choices=Experience.choices)

    def signup(self, request: HttpRequest, user: User) -> None:
        user_update_profile(
            user=user,
            display_name=self.cleaned_data["display_name"],
            country=self.cleaned_data.get("country") or "",
            experience=self.cleaned_data["experience"],
            preferred_language=getattr(request, "LANGUAGE_CODE", "en")[:2],
        )


class ProfileForm(forms.ModelForm):
    skills = forms.CharField(
        label=_("Skills"), required=False, help_text=_("Comma-separated, e.g. aerodynamics, CAD, composites")
    )

    email_muted_kinds = forms.MultipleChoiceField(
        label=_("No e-mail for"),
        choices=kind_choices,  # every app's kinds, registered by the time a form is built
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("These stay in your notification centre but are not e-mailed."),
    )

    class Meta:
        model = User
        fields = [
            "display_name", "avatar", "country", "experience", "skills", "bio", "time_zone", "preferred_language",
            "email_frequency", "email_muted_kinds", "show_earnings", "listed_in_directory",
        ]  # fmt: skip

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.initial["skills"] = ", ".join(self.instance.skills or [])
        # Preferences keep their value when a client posts only the profile fields.
        self.fields["email_frequency"].required = False

    def clean_email_frequency(self) -> str:
        return self.cleaned_data.get("email_frequency") or self.instance.email_frequency

    def clean_skills(self) -> list[str]:
        return [skill for skill in self.cleaned_data["skills"].split(",") if skill.strip()]


class DirectoryForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    country = User._meta.get_field("country").formfield(required=False, label=_("Country"))
    skill = forms.CharField(label=_("Skill"), required=False, max_length=40)
    experience = forms.ChoiceField(label=_("Experience"), required=False, choices=[("", _("Any")), *Experience.choices])
    sort = forms.ChoiceField(
        label=_("Sort by"),
        required=False,
        choices=[
            (DirectorySort.REPUTATION, _("Reputation")),
            (DirectorySort.NAME, _("Name")),
            (DirectorySort.NEWEST, _("Newest members")),
        ],
    )

    def filters(self) -> DirectoryFilters:
        data = self.cleaned_data
        return DirectoryFilters(
            q=data.get("q") or "",
            country=str(data.get("country") or ""),
            skill=data.get("skill") or "",
            experience=data.get("experience") or "",
            sort=data.get("sort") or DirectorySort.REPUTATION,
        )


class ApiTokenForm(forms.Form):
    name = forms.CharField(
        label=_("Name"), max_length=80, help_text=_("What the token is for, e.g. “CAD export script”.")
    )
    scope = forms.ChoiceField(label=_("Access"), choices=ApiTokenScope.choices, initial=ApiTokenScope.READ)
    expires_in_days = forms.IntegerField(
        label=_("Expires after (days)"),
        min_value=EXPIRY_DAYS_MIN,
        max_value=EXPIRY_DAYS_MAX,
        initial=EXPIRY_DAYS_DEFAULT,
    )
