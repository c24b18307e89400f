"""REST API of the blueprints app under /api/v1/blueprints/.

Anyone may read listed blueprints; signed-in members fork and download; only the owner edits,
adds revisions and uploads; only staff delete, which hides (published data is never destroyed).
A blueprint one may not see is a 404. Serializers read and check input; services decide.
"""

from typing import Any, cast

from django.db.models import Prefetch
from django.http import HttpResponseRedirect
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    inline_serializer,
)
from rest_framework import serializers, status
from rest_framework.permissions import IsAuthenticated, IsAuthenticatedOrReadOnly
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from blueprints import selectors, services, storage
from blueprints.licences import Licence, licence_url
from blueprints.models import Blueprint, File, PartCategory, Revision
from blueprints.selectors import SearchFilters, Sort
from community.http import request_member
from core.api import ERROR_RESPONSES
from core.markdown import render_markdown
from core.pagination import KeysetPagination

# --- Serializers ------------------------------------------------------------------------------


class MemberSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    name = serializers.CharField(source="public_name")


class FileSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="original_name")
    rejection_reason = serializers.CharField()
    preview_url = serializers.SerializerMethodField()
    no_preview_text = serializers.CharField(help_text="Why a file of a type with previews has none.")
    download_url = serializers.SerializerMethodField()
    facts = serializers.SerializerMethodField()
    viewable = serializers.BooleanField(source="is_viewable")

    class Meta:
        model = File
        fields = [
            "id", "name", "file_type", "kind", "content_type", "size", "sha256", "status", "rejection_code",
            "rejection_reason", "preview_url", "no_preview_reason", "no_preview_text", "download_url", "viewable",
            "facts", "upload_completed_at", "processed_at",
        ]  # fmt: skip
        read_only_fields = fields

    def get_preview_url(self, file: File) -> str:
        return storage.preview_url(file.preview_key)

    def get_download_url(self, file: File) -> str:
        if file.status != "ready":
            return ""
        return reverse("api-blueprint-file-download", kwargs={"pk": file.pk})

    @extend_schema_field(OpenApiTypes.OBJECT)
    def get_facts(self, file: File) -> dict[str, Any]:
        return file.facts()


class RevisionSummarySerializer(serializers.ModelSerializer):
    author = MemberSerializer()

    class Meta:
        model = Revision
        fields = ["id", "number", "is_published", "published_at", "is_hidden", "change_notes", "author"]
        read_only_fields = fields


class RevisionSerializer(RevisionSummarySerializer):
    files = FileSerializer(many=True)
    based_on = serializers.IntegerField(source="based_on_id", read_only=True, allow_null=True)

    class Meta(RevisionSummarySerializer.Meta):
        fields = [*RevisionSummarySerializer.Meta.fields, "based_on", "files"]
        read_only_fields = fields


class BlueprintListSerializer(serializers.ModelSerializer):
    owner = MemberSerializer()
    latest_revision = serializers.SerializerMethodField()
    cover_url = serializers.SerializerMethodField()
    url = serializers.SerializerMethodField()

    class Meta:
        model = Blueprint
        fields = [
            "id", "slug", "title", "owner", "category", "tags", "licence", "has_model", "download_count",
            "fork_count", "last_published_at", "latest_revision", "cover_url", "url", "created_at",
        ]  # fmt: skip
        read_only_fields = fields

    def get_latest_revision(self, blueprint: Blueprint) -> int | None:
        return blueprint.latest_revision.number if blueprint.latest_revision else None

    def get_cover_url(self, blueprint: Blueprint) -> str:
        return storage.preview_url(blueprint.cover_key)

    def get_url(self, blueprint: Blueprint) -> str:
        return reverse("api-blueprint-detail", kwargs={"slug": blueprint.slug})


class AncestorSerializer(serializers.ModelSerializer):
    owner = MemberSerializer()

    class Meta:
        model = Blueprint
        fields = ["id", "slug", "title", "owner", "licence", "is_hidden"]
        read_only_fields = fields


class BlueprintDetailSerializer(BlueprintListSerializer):
    description_html = serializers.SerializerMethodField()
    licence_url = serializers.SerializerMethodField()
    forked_from = serializers.SerializerMethodField()
    revisions = serializers.SerializerMethodField()

    class Meta(BlueprintListSerializer.Meta):
        fields = [
            *BlueprintListSerializer.Meta.fields, "description", "description_html", "licence_url", "forked_from",
            "revisions", "is_hidden",
        ]  # fmt: skip
        read_only_fields = fields

    def get_description_html(self, blueprint: Blueprint) -> str:
        return str(render_markdown(blueprint.description))

    def get_licence_url(self, blueprint: Blueprint) -> str:
        return licence_url(blueprint.licence)

    def get_forked_from(self, blueprint: Blueprint) -> dict[str, Any] | None:
        source = blueprint.forked_from
        if source is None:
            return None
        return {
            "blueprint": source.blueprint.slug,
            "title": source.blueprint.title,
            "revision": source.number,
            "owner": source.blueprint.owner.public_name,
            "licence": source.blueprint.licence,
        }

    def get_revisions(self, blueprint: Blueprint) -> list[dict[str, Any]]:
        """The newest revisions (a page); all of them: `/blueprints/<slug>/revisions/`."""
        revisions = selectors.revisions_for_viewer(blueprint=blueprint, user=self.context["request"].user)[
            : selectors.REVISION_PAGE_SIZE
        ]
        return cast(list[dict[str, Any]], RevisionSummarySerializer(revisions, many=True).data)


class LineageNodeSerializer(serializers.Serializer):
    blueprint = AncestorSerializer()
    children = serializers.SerializerMethodField()

    def get_children(self, node: selectors.LineageNode) -> list[dict[str, Any]]:
        return cast(list[dict[str, Any]], LineageNodeSerializer(node.children, many=True).data)


class BlueprintInputSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    description = serializers.CharField(max_length=20000, required=False, allow_blank=True, default="")
    category = serializers.ChoiceField(choices=PartCategory.choices, default=PartCategory.OTHER)
    tags = serializers.ListField(
        child=serializers.CharField(max_length=40), required=False, default=list, max_length=50
    )
    licence = serializers.ChoiceField(choices=Licence.choices, default=Licence.CC_BY_SA_4)


class ForkInputSerializer(serializers.Serializer):
    revision = serializers.IntegerField(
        min_value=1, required=False, help_text="Revision number; the latest by default."
    )
    title = serializers.CharField(max_length=200, required=False)
    licence = serializers.ChoiceField(choices=Licence.choices, required=False)


class UploadInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=1000, trim_whitespace=False)
    size = serializers.IntegerField(min_value=0)
    content_type = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class ChangeNotesSerializer(serializers.Serializer):
    change_notes = serializers.CharField(max_length=5000, allow_blank=True, required=False)


UPLOAD_RESPONSE = inline_serializer(
    "UploadSlot",
    {
        "file": FileSerializer(),
        "upload": inline_serializer(
            "UploadTicket",
            {
                "method": serializers.ChoiceField(choices=["post", "multipart"]),
                "url": serializers.URLField(required=False),
                "fields": serializers.DictField(child=serializers.CharField(), required=False),
                "part_size": serializers.IntegerField(required=False),
                "part_count": serializers.IntegerField(required=False),
                "parts": serializers.ListField(child=serializers.DictField(), required=False),
                "uploaded": serializers.ListField(child=serializers.DictField(), required=False),
            },
        ),
    },
)


# --- Helpers ----------------------------------------------------------------------------------


def _detail(blueprint: Blueprint, request: Request) -> dict[str, Any]:
    return cast(dict[str, Any], BlueprintDetailSerializer(blueprint, context={"request": request}).data)


def _search_filters(params: Any) -> SearchFilters:
    def integer(name: str) -> int | None:
        value = params.get(name, "")
        return int(value) if str(value).isdigit() else None

    has_model = params.get("has_model", "")
    return SearchFilters(
        query=params.get("q", "")[:200],
        category=params.get("category", "") if params.get("category") in PartCategory.values else "",
        licence=params.get("licence", "") if params.get("licence") in Licence.values else "",
        owner_id=integer("owner"),
        has_model={"true": True, "1": True, "false": False, "0": False}.get(str(has_model).lower()),
        tag=params.get("tag", "")[:40],
        sort=params.get("sort", "") if params.get("sort") in dict(Sort.CHOICES) else "",
    )


SEARCH_PARAMETERS = [
    OpenApiParameter("q", str, description="Words to find in title, tags and description (web search syntax)."),
    OpenApiParameter("category", str, enum=PartCategory.values),
    OpenApiParameter("licence", str, enum=Licence.values),
    OpenApiParameter("owner", int, description="Member id."),
    OpenApiParameter("has_model", bool),
    OpenApiParameter("tag", str),
    OpenApiParameter("sort", str, enum=[value for value, _label in Sort.CHOICES]),
]


# --- Blueprints -------------------------------------------------------------------------------


class BlueprintPagination(KeysetPagination):
    ordering = selectors.SORT_ORDERINGS[selectors.Sort.NEWEST]


class BlueprintListApi(APIView):
    """Search the library (keyset pages: `?cursor=` from `next`; relevance ranks the newest 500
    matches of a search, the other sorts see every match); create a blueprint (with an empty draft
    revision 1)."""

    permission_classes = [IsAuthenticatedOrReadOnly]
    throttle_scope = "search"  # core.throttling.ScopedThrottle
    pagination_class = BlueprintPagination

    @extend_schema(parameters=SEARCH_PARAMETERS, responses=BlueprintListSerializer(many=True))
    def get(self, request: Request) -> Response:
        listing = selectors.blueprint_library(filters=_search_filters(request.query_params))
        paginator = self.pagination_class(ordering=listing.ordering)
        page = paginator.paginate_queryset(listing.blueprints, request, view=self)
        return paginator.get_paginated_response(BlueprintListSerializer(page, many=True).data)

    @extend_schema(request=BlueprintInputSerializer, responses={201: BlueprintDetailSerializer})
    def post(self, request: Request) -> Response:
        data = BlueprintInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        blueprint = services.blueprint_create(owner=request_member(request), **data.validated_data)
        blueprint = selectors.blueprint_for_viewer(slug=blueprint.slug, user=request.user)
        return Response(_detail(blueprint, request), status=status.HTTP_201_CREATED)


class BlueprintDetailApi(APIView):
    permission_classes = [IsAuthenticatedOrReadOnly]

    @extend_schema(responses=BlueprintDetailSerializer)
    def get(self, request: Request, slug: str) -> Response:
        return Response(_detail(selectors.blueprint_for_viewer(slug=slug, user=request.user), request))

    @extend_schema(request=BlueprintInputSerializer(partial=True), responses=BlueprintDetailSerializer)
    def patch(self, request: Request, slug: str) -> Response:
        blueprint = selectors.blueprint_for_owner(slug=slug, user=request.user)
        data = BlueprintInputSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        services.blueprint_update(blueprint=blueprint, user=request_member(request), **data.validated_data)
        return Response(_detail(selectors.blueprint_for_viewer(slug=slug, user=request.user), request))

    @extend_schema(responses={204: None})
    def delete(self, request: Request, slug: str) -> Response:
        """Staff only: hides the blueprint. Its published revisions are kept."""
        blueprint = selectors.blueprint_for_viewer(slug=slug, user=request.user)
        services.blueprint_hide(blueprint=blueprint, user=request_member(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


class BlueprintForkApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=ForkInputSerializer, responses={201: BlueprintDetailSerializer})
    def post(self, request: Request, slug: str) -> Response:
        blueprint = selectors.blueprint_for_viewer(slug=slug, user=request.user)
        data = ForkInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        revision = None
        if "revision" in data.validated_data:
            revision = selectors.revision_for_viewer(
                blueprint=blueprint, number=data.validated_data["revision"], user=request.user
            )
        fork = services.blueprint_fork(
            blueprint=blueprint,
            user=request_member(request),
            revision=revision,
            title=data.validated_data.get("title"),
            licence=data.validated_data.get("licence"),
        )
        fork = selectors.blueprint_for_viewer(slug=fork.slug, user=request.user)
        return Response(_detail(fork, request), status=status.HTTP_201_CREATED)


class BlueprintLineageApi(APIView):
    permission_classes = [IsAuthenticatedOrReadOnly]

    @extend_schema(
        responses=inline_serializer(
            "Lineage",
            {
                "ancestors": AncestorSerializer(many=True),
                "descendants": LineageNodeSerializer(many=True),
                "descendant_count": serializers.IntegerField(),
            },
        )
    )
    def get(self, request: Request, slug: str) -> Response:
        blueprint = selectors.blueprint_for_viewer(slug=slug, user=request.user)
        lineage = selectors.blueprint_lineage(blueprint=blueprint)
        return Response(
            {
                "ancestors": AncestorSerializer(lineage.ancestors, many=True).data,
                "descendants": LineageNodeSerializer(lineage.descendants, many=True).data,
                "descendant_count": lineage.descendant_count,
            }
        )


# --- Revisions --------------------------------------------------------------------------------


def _revision_data(revision: Revision) -> dict[str, Any]:
    return cast(dict[str, Any], RevisionSerializer(revision).data)


class RevisionPagination(KeysetPagination):
    ordering = selectors.REVISION_ORDERING
    page_size = selectors.REVISION_PAGE_SIZE


class RevisionListApi(APIView):
    """A blueprint's revisions, newest first, with their files (keyset pages)."""

    permission_classes = [IsAuthenticatedOrReadOnly]
    pagination_class = RevisionPagination

    @extend_schema(responses=RevisionSerializer(many=True))
    def get(self, request: Request, slug: str) -> Response:
        blueprint = selectors.blueprint_for_viewer(slug=slug, user=request.user)
        revisions = selectors.revisions_for_viewer(blueprint=blueprint, user=request.user).prefetch_related(
            Prefetch("files", queryset=File.objects.order_by("original_name"))
        )
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(revisions, request, view=self)
        return paginator.get_paginated_response(RevisionSerializer(page, many=True).data)

    @extend_schema(request=None, responses={201: RevisionSerializer})
    def post(self, request: Request, slug: str) -> Response:
        """Owner only: a new draft holding the files of the latest published revision."""
        blueprint = selectors.blueprint_for_owner(slug=slug, user=request.user)
        revision = services.revision_create(blueprint=blueprint, user=request_member(request))
        revision = selectors.revision_for_viewer(blueprint=blueprint, number=revision.number, user=request.user)
        return Response(_revision_data(revision), status=status.HTTP_201_CREATED)


class RevisionDetailApi(APIView):
    permission_classes = [IsAuthenticatedOrReadOnly]

    @extend_schema(responses=RevisionSerializer)
    def get(self, request: Request, slug: str, number: int) -> Response:
        blueprint = selectors.blueprint_for_viewer(slug=slug, user=request.user)
        return Response(
            _revision_data(selectors.revision_for_viewer(blueprint=blueprint, number=number, user=request.user))
        )

    @extend_schema(request=ChangeNotesSerializer, responses=RevisionSerializer)
    def patch(self, request: Request, slug: str, number: int) -> Response:
        blueprint, revision = selectors.revision_for_owner(slug=slug, number=number, user=request.user)
        data = ChangeNotesSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.revision_update(
            revision=revision, user=request_member(request), change_notes=data.validated_data.get("change_notes", "")
        )
        return Response(
            _revision_data(selectors.revision_for_viewer(blueprint=blueprint, number=number, user=request.user))
        )

    @extend_schema(responses={204: None})
    def delete(self, request: Request, slug: str, number: int) -> Response:
        """The owner deletes a draft; staff hide a published revision."""
        blueprint = selectors.blueprint_for_viewer(slug=slug, user=request.user)
        revision = selectors.revision_for_viewer(blueprint=blueprint, number=number, user=request.user)
        if revision.is_published:
            services.revision_hide(revision=revision, user=request_member(request))
        else:
            services.revision_delete(revision=revision, user=request_member(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


class RevisionPublishApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=ChangeNotesSerializer, responses=RevisionSerializer)
    def post(self, request: Request, slug: str, number: int) -> Response:
        blueprint, revision = selectors.revision_for_owner(slug=slug, number=number, user=request.user)
        data = ChangeNotesSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.revision_publish(
            revision=revision, user=request_member(request), change_notes=data.validated_data.get("change_notes")
        )
        return Response(
            _revision_data(selectors.revision_for_viewer(blueprint=blueprint, number=number, user=request.user))
        )


class RevisionCompareApi(APIView):
    permission_classes = [IsAuthenticatedOrReadOnly]

    @extend_schema(
        responses=inline_serializer(
            "Comparison",
            {
                "old": RevisionSummarySerializer(),
                "new": RevisionSummarySerializer(),
                "added": FileSerializer(many=True),
                "removed": FileSerializer(many=True),
                "changed": serializers.ListField(child=serializers.DictField()),
                "unchanged": FileSerializer(many=True),
            },
        )
    )
    def get(self, request: Request, old: int, new: int) -> Response:
        """Compare two revisions by id (also across a fork and its original)."""
        comparison = selectors.revision_compare(
            old=selectors.revision_by_id_for_viewer(pk=old, user=request.user),
            new=selectors.revision_by_id_for_viewer(pk=new, user=request.user),
        )
        return Response(
            {
                "old": RevisionSummarySerializer(comparison.old).data,
                "new": RevisionSummarySerializer(comparison.new).data,
                "added": FileSerializer([change.new for change in comparison.added], many=True).data,
                "removed": FileSerializer([change.old for change in comparison.removed], many=True).data,
                "changed": [
                    {"old": FileSerializer(change.old).data, "new": FileSerializer(change.new).data}
                    for change in comparison.changed
                ],
                "unchanged": FileSerializer([change.new for change in comparison.unchanged], many=True).data,
            }
        )


# --- Uploads and files ------------------------------------------------------------------------


class UploadStartApi(APIView):
    """Owner only: ask for an upload slot in a draft. The answer says how to send the bytes to S3:
    a form POST (`url`, `fields`, then the file as the last field `file`) or multipart (PUT each
    part to its URL, then call `complete`)."""

    permission_classes = [IsAuthenticated]
    throttle_scope = "uploads"  # core.throttling.ScopedThrottle

    @extend_schema(request=UploadInputSerializer, responses={201: UPLOAD_RESPONSE})
    def post(self, request: Request, slug: str, number: int) -> Response:
        blueprint, revision = selectors.revision_for_owner(slug=slug, number=number, user=request.user)
        data = UploadInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        file, ticket = services.upload_start(revision=revision, user=request_member(request), **data.validated_data)
        return Response({"file": FileSerializer(file).data, "upload": ticket.as_dict()}, status=status.HTTP_201_CREATED)


class FileDetailApi(APIView):
    permission_classes = [IsAuthenticatedOrReadOnly]

    @extend_schema(responses=FileSerializer)
    def get(self, request: Request, pk: int) -> Response:
        return Response(FileSerializer(selectors.file_for_viewer(pk=pk, user=request.user)).data)

    @extend_schema(responses={204: None})
    def delete(self, request: Request, pk: int) -> Response:
        """Owner only: take the file out of a draft."""
        file = selectors.file_for_owner(pk=pk, user=request.user)
        services.file_remove(file=file, user=request_member(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


class FileUploadStatusApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: UPLOAD_RESPONSE, 409: ERROR_RESPONSES[409]})
    def get(self, request: Request, pk: int) -> Response:
        """Owner only, to resume: the parts already in S3 and fresh URLs for the rest (409 once it is complete)."""
        file = selectors.file_for_owner(pk=pk, user=request.user)
        return Response(
            {
                "file": FileSerializer(file).data,
                "upload": services.upload_status(file=file, user=request_member(request)),
            }
        )


class FileCompleteApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses=FileSerializer)
    def post(self, request: Request, pk: int) -> Response:
        """Owner only: the bytes are in S3. Checked (size, all parts), then processed in the background."""
        file = selectors.file_for_owner(pk=pk, user=request.user)
        file = services.upload_complete(file=file, user=request_member(request))
        return Response(FileSerializer(file).data)


class FileDownloadApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses={302: OpenApiResponse(description="Redirect to a short-lived presigned S3 URL.")})
    def get(self, request: Request, pk: int) -> HttpResponseRedirect:
        """Signed-in members: a redirect to a short-lived S3 URL (an attachment with the original name)."""
        file = selectors.file_for_viewer(pk=pk, user=request.user)
        return HttpResponseRedirect(services.file_download(file=file, user=request_member(request)))
