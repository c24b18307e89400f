"""URLs of the dossier assembly."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
