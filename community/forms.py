from typing import Any

from django import forms
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from community.models import Experience, User
from community.services import user_update_profile


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

    class Meta:
        model = User
        fields = ["display_name", "avatar", "country", "experience", "skills", "bio", "time_zone", "preferred_language"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.initial["skills"] = ", ".join(self.instance.skills or [])

    def clean_skills(self) -> list[str]:
        return [skill for skill in self.cleaned_data["skills"].split(",") if skill.strip()]
