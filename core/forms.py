"""What pages share about forms."""

from django import forms
from django.utils.functional import Promise

from core.exceptions import ApplicationError


def add_application_error(form: forms.BaseForm, error: ApplicationError, *, message_on_top: bool = False) -> None:
    """Show a service's refusal on the form.

    The messages of the fields it names go on those fields (in either shape of `extra`:
    `{"fields": {...}}` or `{"<field>": [...]}`; disabled and unknown fields are skipped). The
    refusal's own message goes at the top when no field message was placed, or, with
    `message_on_top=True`, always, unless a field already shows that very sentence.
    """
    extra = error.extra if isinstance(error.extra, dict) else {}
    fields = extra["fields"] if isinstance(extra.get("fields"), dict) else extra
    placed = False
    shown: set[str] = set()
    for name, messages in fields.items():
        if name not in form.fields or form.fields[name].disabled:
            continue
        if isinstance(messages, str | Promise):
            messages = [messages]
        if not isinstance(messages, list | tuple):
            continue
        for message in messages:
            form.add_error(name, message)
            shown.add(str(message))
        placed = True
    if not placed or (message_on_top and str(error.message) not in shown):
        form.add_error(None, error.message)
