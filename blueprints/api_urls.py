from django.urls import path

from blueprints import apis, bom_api

urlpatterns = [
    path("blueprints/", apis.BlueprintListApi.as_view(), name="api-blueprint-list"),
    path("blueprints/files/<int:pk>/", apis.FileDetailApi.as_view(), name="api-blueprint-file"),
    path("blueprints/files/<int:pk>/upload/", apis.FileUploadStatusApi.as_view(), name="api-blueprint-file-upload"),
    path("blueprints/files/<int:pk>/complete/", apis.FileCompleteApi.as_view(), name="api-blueprint-file-complete"),
    path("blueprints/files/<int:pk>/download/", apis.FileDownloadApi.as_view(), name="api-blueprint-file-download"),
    path("blueprints/compare/<int:old>/<int:new>/", apis.RevisionCompareApi.as_view(), name="api-blueprint-compare"),
    path("blueprints/<slug:slug>/", apis.BlueprintDetailApi.as_view(), name="api-blueprint-detail"),
    path("blueprints/<slug:slug>/fork/", apis.BlueprintForkApi.as_view(), name="api-blueprint-fork"),
    path("blueprints/<slug:slug>/lineage/", apis.BlueprintLineageApi.as_view(), name="api-blueprint-lineage"),
    path("blueprints/<slug:slug>/revisions/", apis.RevisionListApi.as_view(), name="api-blueprint-revisions"),
    path(
        "blueprints/<slug:slug>/revisions/<int:number>/",
        apis.RevisionDetailApi.as_view(),
        name="api-blueprint-revision",
    ),
    path(
        "blueprints/<slug:slug>/revisions/<int:number>/bom/", bom_api.RevisionBomApi.as_view(), name="api-blueprint-bom"
    ),
    path(
        "blueprints/<slug:slug>/revisions/<int:number>/publish/",
        apis.RevisionPublishApi.as_view(),
        name="api-blueprint-revision-publish",
    ),
    path(
        "blueprints/<slug:slug>/revisions/<int:number>/uploads/",
        apis.UploadStartApi.as_view(),
        name="api-blueprint-uploads",
    ),
]
