"""The bill of materials of a revision in the API: `/api/v1/blueprints/<slug>/revisions/<n>/bom/`.

Whoever may see the revision reads its lines; the blueprint's owner replaces the lines of a draft
(PUT, the whole list at once; 409 once the revision is published). Serializers read the types; the
service `blueprints.bom.revision_bom_set` checks the rules and names each bad field
(`lines.3.quantity`).
"""

from typing import Any, cast

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticatedOrReadOnly
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from blueprints import bom, selectors
from blueprints.models import Revision, RevisionPart
from blueprints.services.common import require_draft
from community.models import User
from core.api import ERROR_RESPONSES
from core.money import MoneySerializerField


class RevisionBomLineSerializer(serializers.ModelSerializer):
    class Meta:
        model = RevisionPart
        fields = ["position", *bom.FIELDS]
        read_only_fields = fields


class RevisionBomSerializer(serializers.Serializer):
    revision = serializers.IntegerField(help_text="The revision's id.")
    number = serializers.IntegerField()
    is_published = serializers.BooleanField(help_text="A published revision's lines never change.")
    lines = RevisionBomLineSerializer(many=True)


class RevisionBomLineInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=bom.MAX_NAME, allow_blank=True, trim_whitespace=True)
    quantity = serializers.IntegerField(default=1, min_value=1, max_value=bom.MAX_QUANTITY)
    material = serializers.CharField(max_length=bom.MAX_MATERIAL, allow_blank=True, default="")
    mass_kg = MoneySerializerField(
        max_digits=12, decimal_places=3, min_value=0, allow_null=True, default=None, help_text="Per unit."
    )
    unit_cost = MoneySerializerField(
        max_digits=14, decimal_places=2, min_value=0, allow_null=True, default=None, help_text="Per unit."
    )
    currency = serializers.CharField(
        max_length=3, allow_blank=True, default="", help_text="ISO 4217 code; required with a cost."
    )
    supplier_note = serializers.CharField(max_length=bom.MAX_SUPPLIER_NOTE, allow_blank=True, default="")


class RevisionBomInputSerializer(serializers.Serializer):
    lines = serializers.ListField(child=RevisionBomLineInputSerializer(), max_length=bom.MAX_LINES, allow_empty=True)


def _bom_data(revision: Revision) -> dict[str, Any]:
    return cast(
        dict[str, Any],
        RevisionBomSerializer(
            {
                "revision": revision.pk,
                "number": revision.number,
                "is_published": revision.is_published,
                "lines": revision.bom_parts.order_by("position"),
            }
        ).data,
    )


class RevisionBomApi(APIView):
    permission_classes = [IsAuthenticatedOrReadOnly]

    @extend_schema(responses={200: RevisionBomSerializer, 404: ERROR_RESPONSES[404]})
    def get(self, request: Request, slug: str, number: int) -> Response:
        blueprint = selectors.blueprint_for_viewer(slug=slug, user=request.user)
        return Response(_bom_data(selectors.revision_for_viewer(blueprint=blueprint, number=number, user=request.user)))

    @extend_schema(
        request=RevisionBomInputSerializer,
        responses={200: RevisionBomSerializer, **{code: ERROR_RESPONSES[code] for code in (400, 403, 404, 409)}},
    )
    def put(self, request: Request, slug: str, number: int) -> Response:
        """Replace the draft's lines (an empty list clears them); the owner only, drafts only."""
        _blueprint, revision = selectors.revision_for_owner(slug=slug, number=number, user=request.user)
        require_draft(revision)  # 409 for a published revision, whatever the body
        data = RevisionBomInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        bom.revision_bom_set(revision=revision, by=cast(User, request.user), lines=data.validated_data["lines"])
        return Response(_bom_data(revision))
