"""REST API views of the community app: profiles, follows, comments, notifications, leaderboard."""

from typing import Any, cast

from django.http import Http404
from django.utils.translation import gettext as _
from django_countries.serializer_fields import CountryField as CountrySerializerField
from django_countries.serializers import CountryFieldMixin
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field, inline_serializer
from rest_framework import serializers
from rest_framework.generics import ListAPIView, RetrieveAPIView
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from community import selectors, services
from community.http import parse_id, request_member
from community.models import ApiToken, ApiTokenScope, Comment, Follow, Notification, User
from community.notifications import notification_text
from community.portfolio import portfolio_for
from community.services.api_tokens import EXPIRY_DAYS_DEFAULT, EXPIRY_DAYS_MAX, EXPIRY_DAYS_MIN
from community.targets import target_lookup, visible_objects
from core.exceptions import ApplicationError, NotAllowed
from core.pagination import KeysetPagination


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
            "email_frequency",
            "email_muted_kinds",
            "show_earnings",
            "listed_in_directory",
            "reputation",
            "date_joined",
        ]
        read_only_fields = ["id", "email", "date_joined", "reputation"]


class MeApi(APIView):
    """The signed-in member's own profile, preferences and privacy settings."""

    permission_classes = [IsAuthenticated]
    serializer_class = MeSerializer

    def get(self, request: Request) -> Response:
        return Response(MeSerializer(request.user).data)

    def patch(self, request: Request) -> Response:
        serializer = MeSerializer(request.user, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        user = services.user_update_profile(user=request_member(request), **serializer.validated_data)
        return Response(MeSerializer(user).data)


# --- Members ----------------------------------------------------------------------------------


@extend_schema_field(
    {
        "type": "object",
        "nullable": True,
        "properties": {"code": {"type": "string"}, "name": {"type": "string"}},
        "required": ["code", "name"],
    }
)
class PublicCountryField(CountrySerializerField):
    """The member's country as `{"code": "DE", "name": "Germany"}`, or null when they have not said."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # django-countries annotates each instance (without null); the class's annotation above is the one.
        self.__dict__.pop("_spectacular_annotation", None)

    def to_representation(self, obj: Any) -> Any:
        return super().to_representation(obj) or None


class PublicMemberSerializer(serializers.ModelSerializer):
    """What everyone may see of a member: never the e-mail address."""

    name = serializers.CharField(source="public_name")
    country = PublicCountryField(country_dict=True)

    class Meta:
        model = User
        fields = ["id", "name", "country", "skills", "experience", "bio", "reputation", "date_joined"]


class MemberPagination(KeysetPagination):
    ordering = selectors.directory_ordering(selectors.DirectorySort.REPUTATION)


class MemberListApi(ListAPIView):
    """The member directory: `q`, `country`, `skill`, `experience`, `sort` (reputation, name, newest);
    keyset pages (`?cursor=` from `next`)."""

    permission_classes = [AllowAny]
    throttle_scope = "search"  # core.throttling.ScopedThrottle
    serializer_class = PublicMemberSerializer
    pagination_class = MemberPagination

    def _filters(self) -> selectors.DirectoryFilters:
        params = self.request.query_params
        return selectors.DirectoryFilters(
            q=params.get("q", "")[:100],
            country=params.get("country", "")[:2],
            skill=params.get("skill", "")[:40],
            experience=params.get("experience", ""),
            sort=params.get("sort", selectors.DirectorySort.REPUTATION),
        )

    @property
    def paginator(self) -> MemberPagination:
        if not hasattr(self, "_paginator"):
            self._paginator = MemberPagination(ordering=selectors.directory_ordering(self._filters().sort))
        return self._paginator

    def get_queryset(self) -> Any:
        return selectors.member_directory(filters=self._filters())


class PortfolioItemSerializer(serializers.Serializer):
    title = serializers.CharField()
    url = serializers.CharField()
    detail = serializers.CharField()
    earnings = serializers.CharField()


class PublicMemberDetailSerializer(PublicMemberSerializer):
    follower_count = serializers.IntegerField()
    portfolio = serializers.SerializerMethodField()

    class Meta(PublicMemberSerializer.Meta):
        fields = [*PublicMemberSerializer.Meta.fields, "follower_count", "portfolio"]

    def get_portfolio(self, member: User) -> dict[str, list[dict[str, str]]]:
        viewer = self.context["request"].user
        return {
            section.key: [PortfolioItemSerializer(item).data for item in items]
            for section, items in portfolio_for(member=member, viewer=viewer)
        }


class MemberDetailApi(RetrieveAPIView):
    permission_classes = [AllowAny]
    serializer_class = PublicMemberDetailSerializer

    def get_object(self) -> User:
        return selectors.member_profile(pk=self.kwargs["pk"])


class LeaderboardApi(APIView):
    permission_classes = [AllowAny]
    throttle_scope = "search"  # core.throttling.ScopedThrottle

    @extend_schema(
        parameters=[OpenApiParameter("country", str), OpenApiParameter("skill", str)],
        responses=PublicMemberSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        members = selectors.leaderboard(
            country=request.query_params.get("country", "")[:2], skill=request.query_params.get("skill", "")[:40]
        )
        return Response(PublicMemberSerializer(members, many=True).data)


# --- Follows ----------------------------------------------------------------------------------


class FollowSerializer(serializers.Serializer):
    target = serializers.CharField(help_text="`app_label.model`, e.g. `challenges.challenge`, `community.user`.")
    object_id = serializers.IntegerField(min_value=1)


class FollowOutSerializer(serializers.ModelSerializer):
    target = serializers.SerializerMethodField()
    title = serializers.SerializerMethodField()
    url = serializers.SerializerMethodField()

    class Meta:
        model = Follow
        fields = ["id", "target", "object_id", "title", "url", "created_at"]

    def _found(self, follow: Follow) -> Any:
        return self.context.get("visible", {}).get((follow.content_type_id, follow.object_id))

    def get_target(self, follow: Follow) -> str:
        return f"{follow.content_type.app_label}.{follow.content_type.model}"

    def get_title(self, follow: Follow) -> str:
        found = self._found(follow)
        return found[0].title(found[1]) if found else ""

    def get_url(self, follow: Follow) -> str:
        found = self._found(follow)
        return found[0].url(found[1]) if found else ""


class FollowPagination(KeysetPagination):
    ordering = selectors.FOLLOW_ORDERING


class FollowListApi(APIView):
    """What the signed-in member follows, newest first (keyset pages; targets the member can no
    longer see are left out); POST follows a target (idempotent)."""

    permission_classes = [IsAuthenticated]
    pagination_class = FollowPagination

    @extend_schema(responses=FollowOutSerializer(many=True))
    def get(self, request: Request) -> Response:
        paginator = self.pagination_class()
        follows = paginator.paginate_queryset(selectors.follows_of(user=request_member(request)), request, view=self)
        visible = visible_objects(user=request.user, pairs=[(f.content_type_id, f.object_id) for f in follows])
        follows = [f for f in follows if (f.content_type_id, f.object_id) in visible]
        return paginator.get_paginated_response(
            FollowOutSerializer(follows, many=True, context={"visible": visible}).data
        )

    @extend_schema(request=FollowSerializer, responses={201: FollowOutSerializer})
    def post(self, request: Request) -> Response:
        data = FollowSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = request_member(request)
        follow = services.follow_create(
            user=user, label=data.validated_data["target"], object_id=data.validated_data["object_id"]
        )
        visible = visible_objects(user=user, pairs=[(follow.content_type_id, follow.object_id)])
        return Response(FollowOutSerializer(follow, context={"visible": visible}).data, status=201)


class FollowDetailApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses={204: None})
    def delete(self, request: Request, pk: int) -> Response:
        follow = Follow.objects.select_related("content_type").filter(pk=pk, follower=request_member(request)).first()
        if follow is None:
            raise Http404
        services.follow_delete(
            user=request_member(request),
            label=f"{follow.content_type.app_label}.{follow.content_type.model}",
            object_id=follow.object_id,
        )
        return Response(status=204)


# --- Comments ---------------------------------------------------------------------------------


class CommentSerializer(serializers.ModelSerializer):
    author = PublicMemberSerializer(read_only=True)
    body = serializers.SerializerMethodField()
    body_html = serializers.SerializerMethodField()

    class Meta:
        model = Comment
        fields = [
            "id",
            "parent",
            "author",
            "body",
            "body_html",
            "created_at",
            "edited_at",
            "is_hidden",
            "hidden_reason",
        ]

    def get_body(self, comment: Comment) -> str:
        return "" if comment.is_hidden else comment.body

    def get_body_html(self, comment: Comment) -> str:
        return "" if comment.is_hidden else comment.body_html


class CommentCreateSerializer(serializers.Serializer):
    target = serializers.CharField()
    object_id = serializers.IntegerField(min_value=1)
    body = serializers.CharField(max_length=10000, trim_whitespace=True)
    reply_to = serializers.IntegerField(required=False, allow_null=True, help_text="The comment answered.")


class CommentPagination(KeysetPagination):
    """Pages of top-level comments (oldest first), each followed by its replies."""

    ordering = selectors.THREAD_ORDERING
    page_size = selectors.THREAD_PAGE_SIZE


class CommentListApi(APIView):
    """Comments of one target (`?target=challenges.challenge&object_id=1`): a page of top-level
    comments, oldest first (`?cursor=` from `next`), each followed by its replies (flat, with their
    `parent`; the first 50 per comment). With `?parent=<id>` of a top-level comment: a page of all
    its replies, oldest first. 404 for a target the caller may not see. POST comments (members only)."""

    permission_classes = [AllowAny]
    throttle_scope = "comments"  # core.throttling.ScopedThrottle
    pagination_class = CommentPagination  # documents the envelope; `get` pages by hand

    @extend_schema(
        parameters=[
            OpenApiParameter("target", str, required=True),
            OpenApiParameter("object_id", int, required=True),
            OpenApiParameter("parent", int, description="A top-level comment: list its replies instead."),
        ],
        responses=CommentSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        label = request.query_params.get("target", "")
        object_id = parse_id(request.query_params.get("object_id"))
        missing = {
            **({"target": [_("Name the target, e.g. challenges.challenge.")]} if not label else {}),
            **({"object_id": [_("Give the target's id, a positive whole number.")]} if object_id is None else {}),
        }
        if missing or object_id is None:
            raise ApplicationError(_("Say whose comments to list."), {"fields": missing})
        _target, obj = target_lookup(label=label, object_id=object_id, user=request.user)
        paginator = CommentPagination()
        paginator.request = request
        if "parent" in request.query_params:
            parent_id = parse_id(request.query_params.get("parent"))
            if parent_id is None:
                raise ApplicationError(
                    _("Say whose replies to list."), {"fields": {"parent": [_("Give a comment's id.")]}}
                )
            parent = selectors.thread_comment(obj=obj, pk=parent_id)
            paginator.page = selectors.comment_replies(
                parent=parent, cursor=request.query_params.get("cursor"), size=paginator.get_page_size(request)
            )
            return paginator.get_paginated_response(CommentSerializer(paginator.page.object_list, many=True).data)
        paginator.page = selectors.comment_thread(
            obj=obj, cursor=request.query_params.get("cursor"), size=paginator.get_page_size(request)
        )
        comments = []
        for comment in paginator.page.object_list:
            comments.extend([comment, *comment.reply_list])
        return paginator.get_paginated_response(CommentSerializer(comments, many=True).data)

    @extend_schema(request=CommentCreateSerializer, responses={201: CommentSerializer})
    def post(self, request: Request) -> Response:
        if not request.user.is_authenticated:
            self.permission_denied(request)
        data = CommentCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        comment = services.comment_create(
            author=request_member(request),
            label=data.validated_data["target"],
            object_id=data.validated_data["object_id"],
            body=data.validated_data["body"],
            parent_id=data.validated_data.get("reply_to"),
        )
        return Response(CommentSerializer(comment).data, status=201)


class CommentEditSerializer(serializers.Serializer):
    body = serializers.CharField(max_length=10000)


class CommentDetailApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=CommentEditSerializer, responses=CommentSerializer)
    def patch(self, request: Request, pk: int) -> Response:
        services.comment_for_viewer(comment_id=pk, user=request.user)
        data = CommentEditSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        comment = services.comment_edit(comment_id=pk, user=request_member(request), body=data.validated_data["body"])
        return Response(CommentSerializer(comment).data)


class CommentReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=500)


class CommentReportApi(APIView):
    permission_classes = [IsAuthenticated]
    throttle_scope = "comments"  # core.throttling.ScopedThrottle

    @extend_schema(
        request=CommentReasonSerializer,
        responses={201: inline_serializer("CommentReported", {"message": serializers.CharField()})},
    )
    def post(self, request: Request, pk: int) -> Response:
        data = CommentReasonSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.comment_report(comment_id=pk, user=request_member(request), reason=data.validated_data["reason"])
        return Response({"message": "Reported."}, status=201)


class CommentHideApi(APIView):
    """Staff hide a comment with a reason (it stays stored)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(request=CommentReasonSerializer, responses=CommentSerializer)
    def post(self, request: Request, pk: int) -> Response:
        if not request.user.is_staff:
            self.permission_denied(request)
        data = CommentReasonSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        comment = services.comment_hide(comment_id=pk, by=request_member(request), reason=data.validated_data["reason"])
        return Response(CommentSerializer(comment).data)


# --- Notifications ----------------------------------------------------------------------------


class NotificationSerializer(serializers.ModelSerializer):
    text = serializers.SerializerMethodField()

    class Meta:
        model = Notification
        fields = ["id", "kind", "text", "url", "context", "created_at", "read_at"]

    def get_text(self, notification: Notification) -> str:
        return notification_text(notification.kind, notification.context)


class NotificationPagination(KeysetPagination):
    ordering = selectors.NOTIFICATION_ORDERING


class NotificationListApi(ListAPIView):
    """The signed-in member's notifications, newest first (`?unread=1` for unread only); keyset pages."""

    permission_classes = [IsAuthenticated]
    serializer_class = NotificationSerializer
    pagination_class = NotificationPagination

    def get_queryset(self) -> Any:
        return selectors.notifications_for(
            user=cast(User, self.request.user), unread_only=self.request.query_params.get("unread") == "1"
        )


class MarkReadSerializer(serializers.Serializer):
    ids = serializers.ListField(child=serializers.IntegerField(), required=False, help_text="None: all.")


class NotificationReadApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=MarkReadSerializer,
        responses={200: inline_serializer("NotificationsMarkedRead", {"marked_read": serializers.IntegerField()})},
    )
    def post(self, request: Request) -> Response:
        data = MarkReadSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        count = services.notification_mark_read(
            user=request_member(request), notification_ids=data.validated_data.get("ids")
        )
        return Response({"marked_read": count})


# --- Personal API tokens ----------------------------------------------------------------------


class ApiTokenSerializer(serializers.ModelSerializer):
    """A token as its member sees it in lists: never the secret, only its non-secret prefix."""

    is_active = serializers.BooleanField(read_only=True)

    class Meta:
        model = ApiToken
        fields = [
            "id",
            "name",
            "prefix",
            "scope",
            "created_at",
            "expires_at",
            "last_used_at",
            "revoked_at",
            "is_active",
        ]
        read_only_fields = fields


class ApiTokenCreatedSerializer(ApiTokenSerializer):
    token = serializers.CharField(read_only=True, help_text="The secret. Shown in this response only: store it now.")

    class Meta(ApiTokenSerializer.Meta):
        fields = [*ApiTokenSerializer.Meta.fields, "token"]
        read_only_fields = fields


class ApiTokenCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=80)
    scope = serializers.ChoiceField(choices=ApiTokenScope.choices, default=ApiTokenScope.READ)
    expires_in_days = serializers.IntegerField(
        min_value=EXPIRY_DAYS_MIN, max_value=EXPIRY_DAYS_MAX, default=EXPIRY_DAYS_DEFAULT
    )


class ApiTokenListApi(ListAPIView):
    """The signed-in member's own personal API tokens; POST creates one and returns its secret once.

    Tokens are created with the browser session (or on the settings page), not with another token:
    a leaked token cannot mint a successor that outlives its revocation.
    """

    permission_classes = [IsAuthenticated]
    serializer_class = ApiTokenSerializer

    def get_queryset(self) -> Any:
        return selectors.api_tokens_of(user=self.request.user)

    @extend_schema(request=ApiTokenCreateSerializer, responses={201: ApiTokenCreatedSerializer})
    def post(self, request: Request) -> Response:
        if isinstance(request.auth, ApiToken):
            raise NotAllowed(_("Create tokens on your settings page or with your browser session, not with a token."))
        data = ApiTokenCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        token, secret = services.api_token_create(user=request_member(request), **data.validated_data)
        token.token = secret  # type: ignore[attr-defined]
        return Response(ApiTokenCreatedSerializer(token).data, status=201)


class ApiTokenDetailApi(APIView):
    """One of the member's own tokens (404 for anyone else's); DELETE revokes it."""

    permission_classes = [IsAuthenticated]
    serializer_class = ApiTokenSerializer

    def get(self, request: Request, pk: int) -> Response:
        return Response(ApiTokenSerializer(selectors.api_token_for_owner(user=request.user, pk=pk)).data)

    @extend_schema(responses={204: None})
    def delete(self, request: Request, pk: int) -> Response:
        token = selectors.api_token_for_owner(user=request.user, pk=pk)
        services.api_token_revoke(user=request_member(request), token=token)
        return Response(status=204)
