"""Forms of the dossier pages."""

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from challenges.models import Challenge, Currency, Phase
from challenges.templatetags.challenges_tags import money

TITLE_MAX = 140
DEFAULT_START_IN_DAYS = 14


def second_generation_title(source_title: str) -> str:
    """The source's title with " (second generation)", within the title's length."""
    suffix = _(" (second generation)")
    return source_title[: TITLE_MAX - len(suffix)].rstrip() + suffix


def prize_total(phase: Phase) -> Decimal:
    """The phase's prizes (prefetched)."""
    return sum((prize.amount for prize in phase.prizes.all()), Decimal(0))


class StartAgainForm(forms.Form):
    """A new challenge from a dossier version: its title, budget, which phases carry over and when they start."""

    title = forms.CharField(label=gettext_lazy("Title"), max_length=TITLE_MAX)
    budget = forms.DecimalField(
        label=gettext_lazy("Budget"), max_digits=14, decimal_places=2, min_value=Decimal("0.01")
    )
    currency = forms.ChoiceField(label=gettext_lazy("Currency"), choices=Currency.choices)
    phases = forms.MultipleChoiceField(
        label=gettext_lazy("Phases to carry over"),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": gettext_lazy("Choose at least one phase to carry over.")},
        help_text=gettext_lazy("With their briefs, prizes, criteria and dependencies on each other."),
    )
    starts_in_days = forms.IntegerField(
        label=gettext_lazy("The first phase opens in (days)"),
        min_value=1,
        max_value=365,
        initial=DEFAULT_START_IN_DAYS,
        help_text=gettext_lazy("The phases keep their lengths and the gaps between them."),
    )

    def __init__(self, *args: Any, source: Challenge, phases: Sequence[Phase], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.source_phases = {phase.pk: phase for phase in phases}
        phase_field = self.fields["phases"]
        assert isinstance(phase_field, forms.MultipleChoiceField)
        phase_field.choices = [
            (
                str(phase.pk),
                _("%(title)s (%(kind)s), prizes %(amount)s %(currency)s")
                % {
                    "title": phase.title,
                    "kind": phase.get_kind_display(),
                    "amount": money(prize_total(phase)),
                    "currency": source.currency,
                },
            )
            for phase in phases
        ]
        self.initial.setdefault("title", second_generation_title(source.title))
        self.initial.setdefault("budget", source.budget)
        self.initial.setdefault("currency", source.currency)
        self.initial.setdefault("phases", [str(phase.pk) for phase in phases])

    def chosen_phases(self) -> list[Phase]:
        return [self.source_phases[int(pk)] for pk in self.cleaned_data.get("phases", [])]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        budget = cleaned.get("budget")
        if budget is not None and cleaned.get("phases"):
            total = sum((prize_total(phase) for phase in self.chosen_phases()), Decimal(0))
            if total > budget:
                self.add_error(
                    "budget",
                    _("The prizes of the chosen phases add up to %(total)s; the budget cannot be less.")
                    % {"total": money(total)},
                )
        return cleaned
