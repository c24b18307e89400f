from django.urls import path

from challenges import views

app_name = "challenges"

urlpatterns = [
    path("", views.challenge_list, name="list"),
    path("new/", views.challenge_new, name="new"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("invitations/<str:token>/", views.judge_invitation, name="invitation"),
    path("judging/<int:pk>/conflicts/", views.judge_conflicts, name="conflicts"),
    path("<slug:slug>/", views.challenge_detail, name="detail"),
    path("<slug:slug>/edit/brief/", views.edit_brief, name="edit_brief"),
    path("<slug:slug>/edit/phases/", views.edit_phases, name="edit_phases"),
    path("<slug:slug>/edit/phases/<int:pk>/", views.edit_phase, name="edit_phase"),
    path("<slug:slug>/edit/phases/<int:pk>/delete/", views.delete_phase, name="delete_phase"),
    path("<slug:slug>/edit/judges/", views.edit_judges, name="edit_judges"),
    path("<slug:slug>/edit/judges/<int:pk>/remove/", views.remove_judge, name="remove_judge"),
    path("<slug:slug>/edit/invitations/<int:pk>/remove/", views.remove_invitation, name="remove_invitation"),
    path("<slug:slug>/edit/review/", views.review, name="review"),
    path("<slug:slug>/withdraw/", views.withdraw, name="withdraw"),
    path("<slug:slug>/cancel/", views.cancel, name="cancel"),
    path("<slug:slug>/phases/<int:pk>/", views.phase_detail, name="phase"),
    path("<slug:slug>/phases/<int:pk>/move/", views.move_phase, name="move_phase"),
]
