"""URLs of the dossier bom."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
