"""Test data for the community app, made through the services."""

from typing import Any

from community.models import User


def make_comments(obj: Any, author: User, count: int, *, replies: int = 0) -> list[Any]:
    """`count` top-level comments on `obj` by `author`, each with `replies` replies, as rows (bulk,
    no rate limit, no notifications): for tests about pages and query counts."""
    from django.contrib.contenttypes.models import ContentType

    from community.models import Comment

    content_type = ContentType.objects.get_for_model(type(obj))

    def row(number: int, parent: Any = None) -> Comment:
        body = f"Comment {number}"
        return Comment(
            content_type=content_type,
            object_id=obj.pk,
            author=author,
            parent=parent,
            body=body,
            body_html=f"<p>{body}</p>",
        )

    top = Comment.objects.bulk_create([row(number) for number in range(count)])
    if replies:
        Comment.objects.bulk_create([row(number, parent) for parent in top for number in range(replies)])
    return top
