from django.urls import path

from community import views

app_name = "community"

urlpatterns = [
    path("me/", views.profile_edit, name="profile_edit"),
]
