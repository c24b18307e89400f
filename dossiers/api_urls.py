"""The dossier API under /api/v1/ (each part of the app brings its own routes)."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
