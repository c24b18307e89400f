from django.urls import path

from community import apis, schema  # noqa: F401  (`schema` describes the API's ways in to the OpenAPI schema)

urlpatterns = [
    path("me/", apis.MeApi.as_view(), name="api-me"),
    path("members/", apis.MemberListApi.as_view(), name="api-members"),
    path("members/<int:pk>/", apis.MemberDetailApi.as_view(), name="api-member"),
    path("leaderboard/", apis.LeaderboardApi.as_view(), name="api-leaderboard"),
    path("follows/", apis.FollowListApi.as_view(), name="api-follows"),
    path("follows/<int:pk>/", apis.FollowDetailApi.as_view(), name="api-follow"),
    path("comments/", apis.CommentListApi.as_view(), name="api-comments"),
    path("comments/<int:pk>/", apis.CommentDetailApi.as_view(), name="api-comment"),
    path("comments/<int:pk>/report/", apis.CommentReportApi.as_view(), name="api-comment-report"),
    path("comments/<int:pk>/hide/", apis.CommentHideApi.as_view(), name="api-comment-hide"),
    path("notifications/", apis.NotificationListApi.as_view(), name="api-notifications"),
    path("notifications/read/", apis.NotificationReadApi.as_view(), name="api-notifications-read"),
    path("tokens/", apis.ApiTokenListApi.as_view(), name="api-tokens"),
    path("tokens/<int:pk>/", apis.ApiTokenDetailApi.as_view(), name="api-token"),
]
