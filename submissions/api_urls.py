from django.urls import URLPattern, path

from submissions import apis

urlpatterns: list[URLPattern] = [
    path("entries/", apis.EntryListApi.as_view(), name="api-entries"),
    path("entries/<int:pk>/", apis.EntryDetailApi.as_view(), name="api-entry"),
    path("entries/<int:pk>/submit/", apis.EntrySubmitApi.as_view(), name="api-entry-submit"),
    path("entries/<int:pk>/withdraw/", apis.EntryWithdrawApi.as_view(), name="api-entry-withdraw"),
    path("entries/<int:pk>/disqualify/", apis.EntryDisqualifyApi.as_view(), name="api-entry-disqualify"),
    path("entries/<int:pk>/revision/", apis.EntryRevisionApi.as_view(), name="api-entry-revision"),
    path("entries/<int:pk>/co-authors/", apis.EntryCoAuthorsApi.as_view(), name="api-entry-co-authors"),
    path(
        "entries/<int:pk>/co-author-answer/", apis.EntryCoAuthorAnswerApi.as_view(), name="api-entry-co-author-answer"
    ),
    path("entries/<int:pk>/vote/", apis.EntryVoteApi.as_view(), name="api-entry-vote"),
    path("entries/<int:pk>/scores/", apis.EntryScoresApi.as_view(), name="api-entry-scores"),
    path("entries/<int:pk>/recusal/", apis.EntryRecusalApi.as_view(), name="api-entry-recusal"),
    path("phases/<int:pk>/eligibility/", apis.PhaseEligibilityApi.as_view(), name="api-phase-eligibility"),
    path("phases/<int:pk>/ranking/", apis.PhaseRankingApi.as_view(), name="api-phase-ranking"),
    path("phases/<int:pk>/judging-progress/", apis.PhaseProgressApi.as_view(), name="api-phase-judging-progress"),
    path("phases/<int:pk>/awards/", apis.PhaseAwardsApi.as_view(), name="api-phase-awards"),
    path("phases/<int:pk>/awards/preview/", apis.PhaseAwardPreviewApi.as_view(), name="api-phase-awards-preview"),
    path(
        "phases/<int:pk>/unscored-confirmation/",
        apis.PhaseUnscoredConfirmationApi.as_view(),
        name="api-phase-unscored-confirmation",
    ),
    path("phases/<int:pk>/judging-rules/", apis.PhaseJudgingRulesApi.as_view(), name="api-phase-judging-rules"),
    path(
        "challenges/<int:pk>/judging-rules/",
        apis.ChallengeJudgingRulesApi.as_view(),
        name="api-challenge-judging-rules",
    ),
]
