"""REST API views of the community app."""

from typing import cast

from django_countries.serializers import CountryFieldMixin
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from community.models import User
from community.services import user_update_profile


class MeSerializer(CountryFieldMixin, serializers.ModelSerializer):
    class Meta:
        model = User
        fields = [
            "id",
            "email",
            "display_name",
            "country",
            "skills",
            "experience",
            "bio",
            "time_zone",
            "preferred_language",
            "date_joined",
        ]
        read_only_fields = ["id", "email", "date_joined"]


class MeApi(APIView):
    """The signed-in member's own profile."""

    permission_classes = [IsAuthenticated]
    serializer_class = MeSerializer

    def get(self, request: Request) -> Response:
        return Response(MeSerializer(request.user).data)

    def patch(self, request: Request) -> Response:
        serializer = MeSerializer(request.user, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        user = user_update_profile(user=cast(User, request.user), **serializer.validated_data)
        return Response(MeSerializer(user).data)
