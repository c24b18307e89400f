"""REST API of a challenge's vehicle dossier under /api/v1/challenges/<slug>/dossier/.

Read-only. A dossier is exactly as visible as its challenge: an unknown or unseen challenge, one
without a dossier yet and a version that does not exist are all a 404.
"""

from drf_spectacular.utils import extend_schema
from rest_framework.exceptions import NotFound
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.pagination import KeysetPagination
from dossiers.selectors import DossierNotFound, dossier_versions, dossier_view
from dossiers.serializers import DossierSerializer, VersionSummarySerializer
from dossiers.snapshot import DossierView


class ByNumber(KeysetPagination):
    ordering = ("number", "pk")


def _view(request: Request, slug: str, number: int | None) -> DossierView:
    try:
        return dossier_view(user=request.user, slug=slug, number=number)
    except DossierNotFound as error:
        raise NotFound(str(error)) from error


class DossierLatestApi(APIView):
    """The latest version of the dossier: every phase in graph order with its pinned winning parts."""

    permission_classes = [AllowAny]

    @extend_schema(responses=DossierSerializer)
    def get(self, request: Request, slug: str) -> Response:
        return Response(DossierSerializer(_view(request, slug, None)).data)


class DossierVersionApi(APIView):
    """One version of the dossier, by number (1 is the first award's)."""

    permission_classes = [AllowAny]

    @extend_schema(responses=DossierSerializer)
    def get(self, request: Request, slug: str, number: int) -> Response:
        return Response(DossierSerializer(_view(request, slug, number)).data)


class DossierVersionListApi(APIView):
    """Every version of the dossier, oldest first (keyset pages: `?cursor=`, `?page_size=`)."""

    permission_classes = [AllowAny]
    pagination_class = ByNumber

    @extend_schema(responses=VersionSummarySerializer(many=True))
    def get(self, request: Request, slug: str) -> Response:
        try:
            versions = dossier_versions(user=request.user, slug=slug)
        except DossierNotFound as error:
            raise NotFound(str(error)) from error
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(versions, request, view=self)
        return paginator.get_paginated_response(VersionSummarySerializer(page, many=True).data)
