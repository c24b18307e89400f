from django.urls import path

from community import apis

urlpatterns = [
    path("me/", apis.MeApi.as_view(), name="api-me"),
]
