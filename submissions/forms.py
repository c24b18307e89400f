"""Forms of the submissions app: they read and check input; the services decide."""

from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from blueprints.models import FileStatus, Revision
from challenges.models import Criterion, Prize
from community.selectors import user_by_confirmed_email
from submissions.models import (
    MAX_LINEAGE_GENERATIONS,
    MAX_LINEAGE_PERCENT,
    MAX_VOTE_PERCENT,
    AwardedBy,
    Entry,
    EntryAuthor,
)
from submissions.services import CoAuthor


def revision_label(revision: Revision) -> str:
    files = list(revision.files.all())
    ready = bool(files) and all(file.status == FileStatus.READY for file in files)
    label = f"{revision.blueprint.title} · r{revision.number}"
    if ready:
        return label
    return str(_("%(label)s (files not ready)") % {"label": label})


class RevisionChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return revision_label(obj)


def _revisions(revisions: list[Revision]) -> Any:
    return (
        Revision.objects.filter(pk__in=[r.pk for r in revisions])
        .select_related("blueprint")
        .prefetch_related("files")
        .order_by("-published_at", "-pk")
    )


CO_AUTHORS_HELP = _(
    "One per line: e-mail address and prize share in percent, e.g. “jonas@example.com 30”. Each co-author "
    "is asked to accept; the entry can be submitted once all have."
)


def co_authors_field() -> forms.CharField:
    return forms.CharField(
        label=_("Co-authors"), required=False, widget=forms.Textarea(attrs={"rows": 3}), help_text=CO_AUTHORS_HELP
    )


def parse_co_authors(text: str) -> list[CoAuthor]:
    """Co-authors written one per line as an e-mail address and a share in percent."""
    result = []
    for line in text.splitlines():
        parts = line.replace(",", " ").replace("%", " ").split()
        if not parts:
            continue
        if len(parts) != 2:
            raise forms.ValidationError(_("Write each co-author as an e-mail address and a share."))
        # Only a confirmed address names a member (see `user_by_confirmed_email`).
        user = user_by_confirmed_email(parts[0])
        if user is None:
            raise forms.ValidationError(_("No member has confirmed the address %(email)s.") % {"email": parts[0]})
        try:
            share = Decimal(parts[1])
        except InvalidOperation as error:
            raise forms.ValidationError(_("A share is a number of percent.")) from error
        if not share.is_finite():  # NaN and Infinity parse, but are no share of a prize
            raise forms.ValidationError(_("A share is a number of percent."))
        result.append(CoAuthor(user=user, share=share))
    return result


class EnterForm(forms.Form):
    revision = RevisionChoiceField(
        label=_("Design"), queryset=Revision.objects.none(), widget=forms.RadioSelect, empty_label=None
    )
    title = forms.CharField(label=_("Title"), max_length=200)
    statement = forms.CharField(
        label=_("Statement"),
        max_length=10000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("What your design does for this phase, and why."),
    )
    co_authors = co_authors_field()
    builds_on = forms.ModelMultipleChoiceField(
        label=_("Builds on"),
        queryset=Entry.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("The winning entries of the earlier phase this entry develops further."),
    )

    def __init__(self, *args: Any, revisions: list[Revision], builds_on: list[Entry], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["revision"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = _revisions(revisions)
        choices = self.fields["builds_on"]
        assert isinstance(choices, forms.ModelMultipleChoiceField)
        if builds_on:
            choices.queryset = Entry.objects.filter(pk__in=[e.pk for e in builds_on])
            choices.required = True
        else:
            del self.fields["builds_on"]

    def clean_co_authors(self) -> list[CoAuthor]:
        return parse_co_authors(self.cleaned_data["co_authors"])


class CoAuthorsForm(forms.Form):
    """The lead author names a draft's co-authors and shares again (each co-author is asked again)."""

    co_authors = co_authors_field()

    def clean_co_authors(self) -> list[CoAuthor]:
        return parse_co_authors(self.cleaned_data["co_authors"])


def co_authors_text(authors: list[EntryAuthor]) -> str:
    """The co-authors of an entry as the form writes them, to start from."""
    return "\n".join(f"{a.user.email} {a.share.normalize():f}" for a in authors if not a.is_lead)


class ReplaceRevisionForm(forms.Form):
    revision = RevisionChoiceField(label=_("New revision"), queryset=Revision.objects.none(), empty_label=None)

    def __init__(self, *args: Any, revisions: list[Revision], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["revision"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = _revisions(revisions)


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=500, widget=forms.Textarea(attrs={"rows": 2}))


class ScoreForm(forms.Form):
    """One score (0-10) and comment per criterion of the phase."""

    def __init__(self, *args: Any, criteria: list[Criterion], initial_scores: dict[int, Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.criteria = criteria
        for criterion in criteria:
            existing = initial_scores.get(criterion.pk)
            self.fields[f"score_{criterion.pk}"] = forms.IntegerField(
                label=f"{criterion.name} (× {criterion.weight})",
                min_value=0,
                max_value=10,
                required=False,
                initial=existing.value if existing else None,
                help_text=criterion.description,
            )
            self.fields[f"comment_{criterion.pk}"] = forms.CharField(
                label=_("Comment"),
                max_length=2000,
                required=False,
                initial=existing.comment if existing else "",
                widget=forms.Textarea(attrs={"rows": 2}),
            )

    def rows(self) -> list[tuple[forms.BoundField, forms.BoundField]]:
        return [(self[f"score_{c.pk}"], self[f"comment_{c.pk}"]) for c in self.criteria]

    def scores(self) -> list[tuple[int, int, str]]:
        return [
            (c.pk, self.cleaned_data[f"score_{c.pk}"], self.cleaned_data[f"comment_{c.pk}"])
            for c in self.criteria
            if self.cleaned_data.get(f"score_{c.pk}") is not None
        ]


class AwardForm(forms.Form):
    """One choice of entry per prize rank; a rank left empty keeps its money in the budget."""

    def __init__(self, *args: Any, prizes: list[Prize], entries: list[Entry], currency: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.prizes = prizes
        choices = [("", _("Not awarded"))] + [(str(entry.pk), entry.title) for entry in entries]
        for prize in prizes:
            self.fields[f"rank_{prize.rank}"] = forms.ChoiceField(
                label=_("Prize %(rank)s: %(amount)s %(currency)s")
                % {"rank": prize.rank, "amount": prize.amount, "currency": currency},
                choices=choices,
                required=False,
            )

    def choices(self) -> list[tuple[int, int]]:
        return [
            (prize.rank, int(self.cleaned_data[f"rank_{prize.rank}"]))
            for prize in self.prizes
            if self.cleaned_data.get(f"rank_{prize.rank}")
        ]


class UnscoredConfirmForm(forms.Form):
    """A judge, the owner or staff say why the entries not fully scored stay so, opening awarding."""

    reason = forms.CharField(
        label=_("Why do these entries stay unscored?"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Recorded with your name and the time, and shown to the panel and the owner."),
    )


class JudgingRulesForm(forms.Form):
    lineage_share_percent = forms.IntegerField(
        label=_("Lineage share (%)"),
        min_value=0,
        max_value=MAX_LINEAGE_PERCENT,
        help_text=_("Part of every prize that goes to the authors of the blueprints the winner was forked from."),
    )
    lineage_generations = forms.IntegerField(
        label=_("Generations credited"),
        min_value=1,
        max_value=MAX_LINEAGE_GENERATIONS,
        help_text=_("Each generation further back receives half of what the one after it receives."),
    )
    awarded_by = forms.ChoiceField(label=_("Who awards the prizes"), choices=AwardedBy.choices)


class PhaseRulesForm(forms.Form):
    vote_share_percent = forms.IntegerField(
        label=_("Community vote share (%)"), min_value=0, max_value=MAX_VOTE_PERCENT
    )
    shortlist_size = forms.IntegerField(label=_("Shortlist size"), min_value=1, max_value=100)
