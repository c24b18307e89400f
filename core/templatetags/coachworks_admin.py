"""The admin index's "needs doing" list (`core.admin.register_todo`)."""

from django import template

from core.admin import ToDo, staff_todos

register = template.Library()


@register.simple_tag(name="staff_todos")
def staff_todos_tag() -> list[ToDo]:
    return staff_todos()
