from django.urls import path

from blueprints import bom_views, views

app_name = "blueprints"

urlpatterns = [
    path("", views.library, name="library"),
    path("mine/", views.mine, name="mine"),
    path("new/", views.create, name="new"),
    path("files/<int:pk>/download/", views.download, name="download"),
    path("files/<int:pk>/view/", views.viewer, name="viewer"),
    path("files/<int:pk>/remove/", views.remove_file, name="remove_file"),
    path("compare/<int:old>/<int:new>/", views.compare, name="compare"),
    path("<slug:slug>/", views.blueprint_detail, name="detail"),
    path("<slug:slug>/edit/", views.edit, name="edit"),
    path("<slug:slug>/fork/", views.fork, name="fork"),
    path("<slug:slug>/hide/", views.hide, name="hide"),
    path("<slug:slug>/delete/", views.discard, name="discard"),
    path("<slug:slug>/revisions/new/", views.new_revision, name="new_revision"),
    path("<slug:slug>/r/<int:number>/", views.revision_detail, name="revision"),
    path("<slug:slug>/r/<int:number>/upload/", views.upload, name="upload"),
    path("<slug:slug>/r/<int:number>/parts/", bom_views.bom_edit, name="bom_edit"),
    path("<slug:slug>/r/<int:number>/publish/", views.publish, name="publish"),
    path("<slug:slug>/r/<int:number>/delete/", views.delete_revision, name="delete_revision"),
]
