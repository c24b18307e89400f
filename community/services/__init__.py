"""Writes of the community app; views, APIs, admin, commands, tasks and the other apps call these."""

from community.services.api_tokens import (
    api_token_create,
    api_token_failure_record,
    api_token_lockout_seconds,
    api_token_mark_used,
    api_token_revoke,
)
from community.services.comments import (
    comment_create,
    comment_edit,
    comment_followers_notify,
    comment_for_viewer,
    comment_hide,
    comment_is_editable,
    comment_report,
    comment_report_dismiss,
    mention_handle,
    mentioned_members,
)
from community.services.follows import follow_create, follow_delete
from community.services.notifications import (
    digest_recipient_ids,
    digest_send,
    email_unsubscribe,
    notification_email_failed,
    notification_email_send,
    notification_mark_read,
    notify,
    unsubscribe_token,
    unsubscribe_token_read,
    unsubscribe_url,
)
from community.services.profiles import PROFILE_FIELDS, user_create, user_update_profile
from community.services.reputation import (
    reputation_grant,
    reputation_points,
    reputation_recompute,
    reputation_revoke,
)

__all__ = [
    "PROFILE_FIELDS",
    "api_token_create",
    "api_token_failure_record",
    "api_token_lockout_seconds",
    "api_token_mark_used",
    "api_token_revoke",
    "comment_create",
    "comment_edit",
    "comment_followers_notify",
    "comment_for_viewer",
    "comment_hide",
    "comment_is_editable",
    "comment_report",
    "comment_report_dismiss",
    "digest_recipient_ids",
    "digest_send",
    "email_unsubscribe",
    "follow_create",
    "follow_delete",
    "mention_handle",
    "mentioned_members",
    "notification_email_failed",
    "notification_email_send",
    "notification_mark_read",
    "notify",
    "reputation_grant",
    "reputation_points",
    "reputation_recompute",
    "reputation_revoke",
    "unsubscribe_token",
    "unsubscribe_token_read",
    "unsubscribe_url",
    "user_create",
    "user_update_profile",
]
