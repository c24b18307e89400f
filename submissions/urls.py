from django.urls import path

from submissions import views

app_name = "submissions"

urlpatterns = [
    path("mine/", views.mine, name="mine"),
    path("judging/", views.judging, name="judging"),
    path("phases/<int:phase_pk>/", views.gallery, name="gallery"),
    path("phases/<int:phase_pk>/enter/", views.enter, name="enter"),
    path("phases/<int:phase_pk>/judging/", views.judge_phase, name="judge_phase"),
    path("phases/<int:phase_pk>/award/", views.award, name="award"),
    path("phases/<int:phase_pk>/unscored/", views.unscored_confirm, name="unscored_confirm"),
    path("challenges/<slug:slug>/rules/", views.rules, name="rules"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/vote/", views.vote, name="vote"),
    path("<int:pk>/submit/", views.submit, name="submit"),
    path("<int:pk>/withdraw/", views.withdraw, name="withdraw"),
    path("<int:pk>/disqualify/", views.disqualify, name="disqualify"),
    path("<int:pk>/revision/", views.replace_revision, name="replace_revision"),
    path("<int:pk>/co-authors/", views.change_co_authors, name="co_authors"),
    path("<int:pk>/co-author-answer/", views.answer_co_authorship, name="co_author_answer"),
    path("<int:pk>/score/", views.score, name="score"),
]
