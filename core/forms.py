"""What pages share about forms."""

from django import forms

from core.exceptions import ApplicationError


def add_application_error(form: forms.BaseForm, error: ApplicationError) -> None:
    """Show a service's refusal on the form: messages on the fields it names (in either shape of
    `extra`: `{"fields": {...}}` or `{"<field>": [...]}`), everything else at the top."""
    extra = error.extra if isinstance(error.extra, dict) else {}
    fields = extra["fields"] if isinstance(extra.get("fields"), dict) else extra
    placed = False
    for name, messages in fields.items():
        if name in form.fields and not form.fields[name].disabled and isinstance(messages, list | tuple):
            for message in messages:
                form.add_error(name, message)
            placed = True
    if not placed:
        form.add_error(None, error.message)
