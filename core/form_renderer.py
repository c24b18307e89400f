"""How forms render on every page: Django's templates, except that a form with errors starts with a summary
that is announced (role="alert") and links to each field in error. Django itself marks such fields
`aria-invalid` and points their `aria-describedby` at their error list and help text."""

from typing import Any

from django.forms.renderers import DjangoTemplates

# Django's form layouts replaced by ours (the same markup plus the error summary).
OVERRIDES = {
    "django/forms/div.html": "core/forms/div.html",
    "django/forms/p.html": "core/forms/p.html",
}


class FormRenderer(DjangoTemplates):
    form_template_name = "core/forms/div.html"

    def get_template(self, template_name: str) -> Any:
        return super().get_template(OVERRIDES.get(template_name, template_name))
