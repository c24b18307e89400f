"""URLs of the dossier page."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
