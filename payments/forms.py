"""Forms of the payments app: they read input; the services decide."""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from payments.providers import PayoutProvider


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


class ProviderMethodForm(forms.Form):
    """Be paid through a provider other than the bank account's: its destination fields, as it declares them."""

    provider = forms.CharField(widget=forms.HiddenInput)
    holder_name = forms.CharField(label=_("Account holder"), max_length=70)

    def __init__(self, provider: PayoutProvider, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", f"provider-{provider.code}")
        kwargs.setdefault("initial", {"provider": provider.code})
        super().__init__(*args, **kwargs)
        self.payout_provider = provider
        for field in provider.destination_fields:
            self.fields[field.name] = forms.CharField(
                label=field.label, max_length=field.max_length, required=field.required, help_text=field.help_text
            )
        self.fields["password"] = forms.CharField(
            label=_("Your password"),
            widget=forms.PasswordInput,
            help_text=_("Needed for every change of where your money goes."),
        )

    def destination(self) -> dict[str, str]:
        return {
            field.name: self.cleaned_data.get(field.name) or "" for field in self.payout_provider.destination_fields
        }
