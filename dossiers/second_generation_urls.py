"""URLs of the dossier second_generation."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
