"""Forms of the payments app: they read input; the services decide."""

from django import forms
from django.utils.translation import gettext_lazy as _


class PayoutMethodForm(forms.Form):
    holder_name = forms.CharField(label=_("Account holder"), max_length=70)
    iban = forms.CharField(label=_("IBAN"), max_length=42)
    bic = forms.CharField(
        label=_("BIC"), max_length=11, required=False, help_text=_("Found from the IBAN for most banks.")
    )
    password = forms.CharField(
        label=_("Your password"),
        widget=forms.PasswordInput,
        help_text=_("Needed for every change of where your money goes."),
    )
