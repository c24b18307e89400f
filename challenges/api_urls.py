from django.urls import path

from challenges import apis

urlpatterns = [
    path("challenges/", apis.ChallengeListApi.as_view(), name="api-challenges"),
    path("challenges/<int:pk>/", apis.ChallengeDetailApi.as_view(), name="api-challenge"),
    path("challenges/<int:pk>/transitions/", apis.ChallengeTransitionsApi.as_view(), name="api-challenge-transitions"),
    path("challenges/<int:pk>/phases/", apis.ChallengePhasesApi.as_view(), name="api-challenge-phases"),
    path("challenges/<int:pk>/judges/", apis.ChallengeJudgesApi.as_view(), name="api-challenge-judges"),
    path("challenges/<int:pk>/invitations/", apis.ChallengeInvitationsApi.as_view(), name="api-challenge-invitations"),
    path(
        "challenges/<int:pk>/invitations/<int:invitation_pk>/",
        apis.ChallengeInvitationApi.as_view(),
        name="api-challenge-invitation",
    ),
    path("phases/<int:pk>/", apis.PhaseDetailApi.as_view(), name="api-phase"),
    path("phases/<int:pk>/transitions/", apis.PhaseTransitionsApi.as_view(), name="api-phase-transitions"),
    path("phases/<int:pk>/prizes/", apis.PhasePrizesApi.as_view(), name="api-phase-prizes"),
    path("phases/<int:pk>/criteria/", apis.PhaseCriteriaApi.as_view(), name="api-phase-criteria"),
    path("judge-assignments/<int:pk>/", apis.JudgeAssignmentApi.as_view(), name="api-judge-assignment"),
    path("judge-assignments/<int:pk>/respond/", apis.JudgeRespondApi.as_view(), name="api-judge-respond"),
    path("judge-assignments/<int:pk>/conflicts/", apis.JudgeConflictsApi.as_view(), name="api-judge-conflicts"),
    path("transitions/", apis.TransitionListApi.as_view(), name="api-transitions"),
]
