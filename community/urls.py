from django.urls import path

from community import views

app_name = "community"

urlpatterns = [
    path("", views.directory, name="directory"),
    path("me/", views.profile_edit, name="profile_edit"),
    path("me/following/", views.following, name="following"),
    path("me/tokens/", views.api_tokens, name="api_tokens"),
    path("me/tokens/<int:pk>/revoke/", views.api_token_revoke, name="api_token_revoke"),
    path("leaderboard/", views.leaderboard, name="leaderboard"),
    path("reputation/", views.reputation_explained, name="reputation"),
    path("notifications/", views.notifications, name="notifications"),
    path("notifications/read/", views.notifications_read, name="notifications_read"),
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("comments/", views.comment_create, name="comment_create"),
    path("comments/<int:pk>/edit/", views.comment_edit, name="comment_edit"),
    path("comments/<int:pk>/report/", views.comment_report, name="comment_report"),
    path("follow/", views.follow, name="follow"),
    path("<int:pk>/", views.profile, name="profile"),
]
