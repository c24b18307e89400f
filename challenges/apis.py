"""REST API of the challenges app under /api/v1/.

Reading follows `selectors.challenges_visible_to` (a challenge one may not read is a 404, never
a 403, so its existence stays private); writing needs the owner or staff (403 otherwise), and
moves follow the transition tables. Serializers only read and check input: services decide.
"""

from typing import Any

from django.db.models import DecimalField, QuerySet
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.permissions import AllowAny, IsAuthenticated, IsAuthenticatedOrReadOnly
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from challenges import selectors, services
from challenges.forms import ChallengeFilterForm
from challenges.lifecycle import Role
from challenges.models import (
    BRIEF_FIELDS,
    Challenge,
    ChallengeInvitation,
    ChallengeTransition,
    Criterion,
    JudgeAssignment,
    JudgeStatus,
    Phase,
    PhaseKind,
    PhaseTransition,
    Prize,
)
from challenges.services.phases import CriterionData
from community.http import request_member
from community.models import User
from core.actors import Actor
from core.markdown import render_markdown
from core.money import MoneySerializerField
from core.pagination import KeysetPagination

# --- Serializers ------------------------------------------------------------------------------


class PrizeSerializer(serializers.ModelSerializer):
    class Meta:
        model = Prize
        fields = ["rank", "amount"]


class CriterionSerializer(serializers.ModelSerializer):
    weight = serializers.IntegerField(min_value=1, max_value=100, default=1)

    class Meta:
        model = Criterion
        fields = ["id", "name", "description", "weight"]
        read_only_fields = ["id"]
        # Uniqueness is checked by the service for the whole table at once.
        validators: list[Any] = []


class PhaseSerializer(serializers.ModelSerializer):
    prizes = PrizeSerializer(many=True, read_only=True)
    criteria = CriterionSerializer(many=True, read_only=True)
    depends_on = serializers.SerializerMethodField()
    brief_html = serializers.SerializerMethodField()

    class Meta:
        model = Phase
        fields = [
            "id", "challenge", "position", "kind", "title", "brief", "brief_html", "opens_at", "closes_at",
            "judging_ends_at", "entry_limit", "status", "hold", "next_transition_at", "depends_on", "prizes",
            "criteria",
        ]  # fmt: skip
        read_only_fields = fields

    def get_depends_on(self, phase: Phase) -> list[int]:
        return [requirement.required_id for requirement in phase.requirements.all()]

    def get_brief_html(self, phase: Phase) -> str:
        return str(render_markdown(phase.brief))


class PhaseSummarySerializer(serializers.ModelSerializer):
    class Meta:
        model = Phase
        fields = ["id", "position", "kind", "title", "status", "opens_at", "closes_at", "judging_ends_at"]
        read_only_fields = fields


class PhaseWriteSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=PhaseKind.choices)
    title = serializers.CharField(max_length=140)
    brief = serializers.CharField(max_length=10000, required=False, allow_blank=True)
    opens_at = serializers.DateTimeField()
    closes_at = serializers.DateTimeField()
    judging_ends_at = serializers.DateTimeField()
    entry_limit = serializers.IntegerField(min_value=1, max_value=20, required=False)
    depends_on = serializers.ListField(child=serializers.IntegerField(), required=False)
    prizes = serializers.ListField(
        child=MoneySerializerField(max_digits=14, decimal_places=2, min_value=0), required=False
    )
    criteria = CriterionSerializer(many=True, required=False)


class OwnerSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="public_name", read_only=True)

    class Meta:
        model = User
        fields = ["id", "name"]
        read_only_fields = fields


class ChallengeSerializer(serializers.ModelSerializer):
    owner = OwnerSerializer(read_only=True)
    phases = PhaseSummarySerializer(many=True, read_only=True)
    url = serializers.CharField(source="get_absolute_url", read_only=True)

    class Meta:
        model = Challenge
        fields = [
            "id", "slug", "url", "owner", *BRIEF_FIELDS, "budget", "currency", "sealed_entries", "invite_only",
            "status", "brief_version", "submitted_at", "published_at", "created_at", "phases",
        ]  # fmt: skip
        read_only_fields = fields


class ChallengeDetailSerializer(ChallengeSerializer):
    phases = PhaseSerializer(many=True, read_only=True)  # type: ignore[assignment]
    description_html = serializers.SerializerMethodField()
    cover_image_url = serializers.SerializerMethodField()

    class Meta(ChallengeSerializer.Meta):
        fields = [*ChallengeSerializer.Meta.fields, "description_html", "cover_image_url"]
        read_only_fields = fields

    def get_description_html(self, challenge: Challenge) -> str:
        return str(render_markdown(challenge.description))

    def get_cover_image_url(self, challenge: Challenge) -> str | None:
        return challenge.cover_image.url if challenge.cover_image else None


class ChallengeWriteSerializer(serializers.ModelSerializer):
    # The budget (and budget per unit) in ASCII digits only (`core.money`).
    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        DecimalField: MoneySerializerField,
    }
    change_note = serializers.CharField(max_length=500, required=False, allow_blank=True, write_only=True)

    class Meta:
        model = Challenge
        fields = [*BRIEF_FIELDS, "budget", "currency", "sealed_entries", "invite_only", "change_note"]


class MoveSerializer(serializers.Serializer):
    to = serializers.CharField(max_length=12)
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class PhaseTransitionSerializer(serializers.ModelSerializer):
    made_by = serializers.CharField(read_only=True)

    class Meta:
        model = PhaseTransition
        fields = ["id", "phase", "from_status", "to_status", "made_by", "task", "reason", "due_at", "created_at"]
        read_only_fields = fields


class ChallengeTransitionSerializer(serializers.ModelSerializer):
    made_by = serializers.CharField(read_only=True)

    class Meta:
        model = ChallengeTransition
        fields = ["id", "challenge", "from_status", "to_status", "made_by", "task", "reason", "created_at"]
        read_only_fields = fields


class JudgeAssignmentSerializer(serializers.ModelSerializer):
    judge = OwnerSerializer(read_only=True, allow_null=True, help_text="Null until the invitation is accepted.")

    class Meta:
        model = JudgeAssignment
        fields = [
            "id", "challenge", "email", "judge", "status", "responded_at", "conflict_declared_at", "has_conflict",
            "conflict_statement",
        ]  # fmt: skip
        read_only_fields = fields


class PublicJudgeSerializer(serializers.ModelSerializer):
    """What everyone may know of a judge: who, once they have accepted."""

    judge = OwnerSerializer(read_only=True)

    class Meta:
        model = JudgeAssignment
        fields = ["id", "judge", "status"]
        read_only_fields = fields


class JudgeListItemSerializer(serializers.Serializer):
    """The schema of a challenge's judge list: the owner and staff get every invitation with every field
    (`JudgeAssignment`), everyone else the accepted judges with `id`, `judge` and `status` only."""

    id = serializers.IntegerField()
    judge = OwnerSerializer(allow_null=True)
    status = serializers.ChoiceField(choices=JudgeStatus.choices)
    challenge = serializers.IntegerField(required=False)
    email = serializers.EmailField(required=False)
    responded_at = serializers.DateTimeField(required=False, allow_null=True)
    conflict_declared_at = serializers.DateTimeField(required=False, allow_null=True)
    has_conflict = serializers.BooleanField(required=False)
    conflict_statement = serializers.CharField(required=False, allow_blank=True)


class EmailSerializer(serializers.Serializer):
    email = serializers.EmailField()


class InvitationSerializer(serializers.ModelSerializer):
    class Meta:
        model = ChallengeInvitation
        fields = ["id", "email", "created_at"]
        read_only_fields = fields


class PrizeTableSerializer(serializers.Serializer):
    amounts = serializers.ListField(
        child=MoneySerializerField(max_digits=14, decimal_places=2, min_value=0), max_length=10
    )


class CriteriaTableSerializer(serializers.Serializer):
    criteria = CriterionSerializer(many=True)


class RespondSerializer(serializers.Serializer):
    accept = serializers.BooleanField()


class ConflictSerializer(serializers.Serializer):
    has_conflict = serializers.BooleanField()
    statement = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


# --- Helpers ----------------------------------------------------------------------------------


def _editable(request: Request, pk: int) -> Challenge:
    """The challenge if the requester may write it: 404 if they cannot read it, 403 if only read."""
    challenge = selectors.challenge_visible(user=request.user, pk=pk)
    if not selectors.challenge_roles(user=request.user, challenge=challenge) & {Role.OWNER, Role.STAFF}:
        raise PermissionDenied
    return challenge


def _phase_editable(request: Request, pk: int) -> Phase:
    phase = selectors.phase_visible(user=request.user, pk=pk)
    if not selectors.challenge_roles(user=request.user, challenge=phase.challenge) & {Role.OWNER, Role.STAFF}:
        raise PermissionDenied
    return phase


def _paginated(
    request: Request, view: Any, queryset: QuerySet[Any], serializer: type, ordering: tuple[str, ...] | None = None
) -> Response:
    """A keyset page of `queryset` (`?cursor=`, `?page_size=`) in `{"next", "previous", "results"}`."""
    paginator = view.pagination_class(ordering)
    page = paginator.paginate_queryset(queryset, request, view=view)
    return paginator.get_paginated_response(serializer(page, many=True).data)


class ByPk(KeysetPagination):
    ordering = ("pk",)


class ByCreation(KeysetPagination):
    ordering = ("created_at", "pk")


class ByPosition(KeysetPagination):
    ordering = ("position", "pk")


class ChallengePagination(KeysetPagination):
    ordering = selectors.PUBLISHED_ORDER


def _phase_detail(pk: int) -> Phase:
    return selectors.phases_with_details().get(pk=pk)


def _criteria(data: list[dict[str, Any]]) -> list[CriterionData]:
    return [
        CriterionData(name=c["name"], description=c.get("description", ""), weight=c.get("weight", 1)) for c in data
    ]


# --- Challenges -------------------------------------------------------------------------------


class ChallengeListApi(APIView):
    """Challenges one may read (published ones; `?mine=1`: one's own at every stage), filtered."""

    permission_classes = [IsAuthenticatedOrReadOnly]
    pagination_class = ChallengePagination

    @extend_schema(responses=ChallengeSerializer(many=True))
    def get(self, request: Request) -> Response:
        form = ChallengeFilterForm(request.query_params)
        if not form.is_valid():
            raise serializers.ValidationError({name: [str(e) for e in errors] for name, errors in form.errors.items()})
        filters = form.filters()
        challenges = selectors.challenge_list(user=request.user, filters=filters)
        return _paginated(request, self, challenges, ChallengeSerializer, selectors.challenge_list_order(filters))

    @extend_schema(request=ChallengeWriteSerializer, responses={201: ChallengeDetailSerializer})
    def post(self, request: Request) -> Response:
        serializer = ChallengeWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        data.pop("change_note", None)
        challenge = services.challenge_create(owner=request_member(request), **data)
        detail = selectors.challenge_detail(user=request.user, pk=challenge.pk)
        return Response(ChallengeDetailSerializer(detail).data, status=status.HTTP_201_CREATED)


class ChallengeDetailApi(APIView):
    permission_classes = [IsAuthenticatedOrReadOnly]

    @extend_schema(responses=ChallengeDetailSerializer)
    def get(self, request: Request, pk: int) -> Response:
        return Response(ChallengeDetailSerializer(selectors.challenge_detail(user=request.user, pk=pk)).data)

    @extend_schema(request=ChallengeWriteSerializer, responses=ChallengeDetailSerializer)
    def patch(self, request: Request, pk: int) -> Response:
        challenge = _editable(request, pk)
        serializer = ChallengeWriteSerializer(challenge, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        note = data.pop("change_note", "")
        services.challenge_update(challenge=challenge, by=request_member(request), change_note=note, **data)
        return Response(ChallengeDetailSerializer(selectors.challenge_detail(user=request.user, pk=pk)).data)


class ChallengeTransitionsApi(APIView):
    """The challenge's status history; POST makes a move the requester's role allows."""

    permission_classes = [IsAuthenticatedOrReadOnly]
    pagination_class = ByPk

    @extend_schema(responses=ChallengeTransitionSerializer(many=True))
    def get(self, request: Request, pk: int) -> Response:
        challenge = selectors.challenge_visible(user=request.user, pk=pk)
        records = ChallengeTransition.objects.filter(challenge=challenge).select_related("actor")
        return _paginated(request, self, records, ChallengeTransitionSerializer)

    @extend_schema(request=MoveSerializer, responses=ChallengeSerializer)
    def post(self, request: Request, pk: int) -> Response:
        challenge = _editable(request, pk)
        serializer = MoveSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        moved = services.challenge_transition(
            challenge=challenge,
            to=serializer.validated_data["to"],
            actor=Actor.user(request_member(request)),
            reason=serializer.validated_data["reason"],
        )
        return Response(ChallengeSerializer(selectors.challenge_detail(user=request.user, pk=moved.pk)).data)


class ChallengePhasesApi(APIView):
    permission_classes = [IsAuthenticatedOrReadOnly]
    pagination_class = ByPosition

    @extend_schema(responses=PhaseSerializer(many=True))
    def get(self, request: Request, pk: int) -> Response:
        challenge = selectors.challenge_visible(user=request.user, pk=pk)
        return _paginated(request, self, selectors.phases_with_details().filter(challenge=challenge), PhaseSerializer)

    @extend_schema(request=PhaseWriteSerializer, responses={201: PhaseSerializer})
    def post(self, request: Request, pk: int) -> Response:
        challenge = _editable(request, pk)
        serializer = PhaseWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        depends_on = list(Phase.objects.filter(challenge=challenge, pk__in=data.pop("depends_on", [])))
        phase = services.phase_create(
            challenge=challenge,
            by=request_member(request),
            depends_on=depends_on,
            prizes=data.pop("prizes", []),
            criteria=_criteria(data.pop("criteria", [])),
            **data,
        )
        return Response(PhaseSerializer(_phase_detail(phase.pk)).data, status=status.HTTP_201_CREATED)


class PhaseDetailApi(APIView):
    permission_classes = [IsAuthenticatedOrReadOnly]

    @extend_schema(responses=PhaseSerializer)
    def get(self, request: Request, pk: int) -> Response:
        phase = selectors.phase_visible(user=request.user, pk=pk)
        return Response(PhaseSerializer(_phase_detail(phase.pk)).data)

    @extend_schema(request=PhaseWriteSerializer, responses=PhaseSerializer)
    def patch(self, request: Request, pk: int) -> Response:
        phase = _phase_editable(request, pk)
        serializer = PhaseWriteSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        depends_on = None
        if "depends_on" in data:
            depends_on = list(Phase.objects.filter(challenge_id=phase.challenge_id, pk__in=data.pop("depends_on")))
        criteria = _criteria(data.pop("criteria")) if "criteria" in data else None
        services.phase_update(
            phase=phase,
            by=request_member(request),
            depends_on=depends_on,
            prizes=data.pop("prizes", None),
            criteria=criteria,
            **data,
        )
        return Response(PhaseSerializer(_phase_detail(phase.pk)).data)

    @extend_schema(responses={204: None})
    def delete(self, request: Request, pk: int) -> Response:
        phase = _phase_editable(request, pk)
        services.phase_delete(phase=phase, by=request_member(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


class PhaseTransitionsApi(APIView):
    """A phase's status history; POST makes a move the requester's role allows (owner, judge, staff)."""

    permission_classes = [IsAuthenticatedOrReadOnly]
    pagination_class = ByPk

    @extend_schema(responses=PhaseTransitionSerializer(many=True))
    def get(self, request: Request, pk: int) -> Response:
        phase = selectors.phase_visible(user=request.user, pk=pk)
        records = PhaseTransition.objects.filter(phase=phase).select_related("actor")
        return _paginated(request, self, records, PhaseTransitionSerializer)

    @extend_schema(request=MoveSerializer, responses=PhaseSerializer)
    def post(self, request: Request, pk: int) -> Response:
        phase = selectors.phase_visible(user=request.user, pk=pk)
        if not selectors.challenge_roles(user=request.user, challenge=phase.challenge):
            raise PermissionDenied
        serializer = MoveSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.phase_transition(
            phase=phase,
            to=serializer.validated_data["to"],
            actor=Actor.user(request_member(request)),
            reason=serializer.validated_data["reason"],
        )
        return Response(PhaseSerializer(_phase_detail(phase.pk)).data)


class PhasePrizesApi(APIView):
    permission_classes = [IsAuthenticatedOrReadOnly]

    @extend_schema(responses=PrizeSerializer(many=True))
    def get(self, request: Request, pk: int) -> Response:
        phase = selectors.phase_visible(user=request.user, pk=pk)
        return Response(PrizeSerializer(phase.prizes.order_by("rank"), many=True).data)

    @extend_schema(request=PrizeTableSerializer, responses=PrizeSerializer(many=True))
    def put(self, request: Request, pk: int) -> Response:
        phase = _phase_editable(request, pk)
        serializer = PrizeTableSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        prizes = services.phase_prizes_set(
            phase=phase, by=request_member(request), amounts=serializer.validated_data["amounts"]
        )
        return Response(PrizeSerializer(prizes, many=True).data)


class PhaseCriteriaApi(APIView):
    permission_classes = [IsAuthenticatedOrReadOnly]

    @extend_schema(responses=CriterionSerializer(many=True))
    def get(self, request: Request, pk: int) -> Response:
        phase = selectors.phase_visible(user=request.user, pk=pk)
        return Response(CriterionSerializer(phase.criteria.all(), many=True).data)

    @extend_schema(request=CriteriaTableSerializer, responses=CriterionSerializer(many=True))
    def put(self, request: Request, pk: int) -> Response:
        phase = _phase_editable(request, pk)
        serializer = CriteriaTableSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        criteria = services.phase_criteria_set(
            phase=phase, by=request_member(request), criteria=_criteria(serializer.validated_data["criteria"])
        )
        return Response(CriterionSerializer(criteria, many=True).data)


# --- Judges and invitations -------------------------------------------------------------------


class ChallengeJudgesApi(APIView):
    """Everyone sees the judges who accepted; the owner and staff see every invitation."""

    permission_classes = [IsAuthenticatedOrReadOnly]
    pagination_class = ByPk

    @extend_schema(responses=JudgeListItemSerializer(many=True))
    def get(self, request: Request, pk: int) -> Response:
        challenge = selectors.challenge_visible(user=request.user, pk=pk)
        assignments = JudgeAssignment.objects.filter(challenge=challenge).select_related("judge")
        if selectors.challenge_roles(user=request.user, challenge=challenge) & {Role.OWNER, Role.STAFF}:
            return _paginated(request, self, assignments, JudgeAssignmentSerializer)
        return _paginated(request, self, assignments.filter(status=JudgeStatus.ACCEPTED), PublicJudgeSerializer)

    @extend_schema(request=EmailSerializer, responses={201: JudgeAssignmentSerializer})
    def post(self, request: Request, pk: int) -> Response:
        challenge = _editable(request, pk)
        serializer = EmailSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        assignment = services.judge_invite(
            challenge=challenge, by=request_member(request), email=serializer.validated_data["email"]
        )
        return Response(JudgeAssignmentSerializer(assignment).data, status=status.HTTP_201_CREATED)


def _assignment_for(request: Request, pk: int, *, answering: bool = False) -> tuple[JudgeAssignment, bool]:
    """The assignment if the requester is its judge or may edit its challenge; (assignment, is_editor).

    Its judge is the member it is bound to, or who has confirmed the address it was sent to. To answer
    it (`answering`), a member who merely claims that address also gets through, so the service tells
    them (403) to confirm it first; everyone else gets a 404 and learns nothing.
    """
    assignment = JudgeAssignment.objects.select_related("challenge", "judge").filter(pk=pk).first()
    if assignment is None or not request.user.is_authenticated:
        raise NotFound
    member = request_member(request)
    if answering:
        is_judge = selectors.judge_invitation_addressed_to(user=member, assignment=assignment)
    else:
        is_judge = selectors.judge_may_answer(user=member, assignment=assignment)
    is_editor = bool(selectors.challenge_roles(user=member, challenge=assignment.challenge) & {Role.OWNER, Role.STAFF})
    if not (is_judge or is_editor):
        raise NotFound
    return assignment, is_editor


class JudgeAssignmentApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses=JudgeAssignmentSerializer)
    def get(self, request: Request, pk: int) -> Response:
        assignment, _is_editor = _assignment_for(request, pk)
        return Response(JudgeAssignmentSerializer(assignment).data)

    @extend_schema(responses={204: None})
    def delete(self, request: Request, pk: int) -> Response:
        assignment, is_editor = _assignment_for(request, pk)
        if not is_editor:
            raise PermissionDenied
        services.judge_uninvite(assignment=assignment, by=request_member(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


class JudgeRespondApi(APIView):
    """The invited judge accepts or declines: only through an address they have confirmed (403 otherwise)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(request=RespondSerializer, responses=JudgeAssignmentSerializer)
    def post(self, request: Request, pk: int) -> Response:
        assignment, _is_editor = _assignment_for(request, pk, answering=True)
        member = request_member(request)
        serializer = RespondSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        updated = services.judge_respond(assignment=assignment, user=member, accept=serializer.validated_data["accept"])
        return Response(JudgeAssignmentSerializer(updated).data)


class JudgeConflictsApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=ConflictSerializer, responses=JudgeAssignmentSerializer)
    def post(self, request: Request, pk: int) -> Response:
        assignment, _is_editor = _assignment_for(request, pk)
        member = request_member(request)
        if assignment.judge_id != member.pk:
            raise PermissionDenied
        serializer = ConflictSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        updated = services.judge_declare_conflicts(assignment=assignment, user=member, **serializer.validated_data)
        return Response(JudgeAssignmentSerializer(updated).data)


class ChallengeInvitationsApi(APIView):
    """Members invited to an invite-only challenge (the owner and staff only)."""

    permission_classes = [IsAuthenticated]
    pagination_class = ByPk

    @extend_schema(responses=InvitationSerializer(many=True))
    def get(self, request: Request, pk: int) -> Response:
        challenge = _editable(request, pk)
        invitations = ChallengeInvitation.objects.filter(challenge=challenge)
        return _paginated(request, self, invitations, InvitationSerializer)

    @extend_schema(request=EmailSerializer, responses={201: InvitationSerializer})
    def post(self, request: Request, pk: int) -> Response:
        challenge = _editable(request, pk)
        serializer = EmailSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        invitation = services.challenge_invite_member(
            challenge=challenge, by=request_member(request), email=serializer.validated_data["email"]
        )
        return Response(InvitationSerializer(invitation).data, status=status.HTTP_201_CREATED)


class ChallengeInvitationApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses={204: None})
    def delete(self, request: Request, pk: int, invitation_pk: int) -> Response:
        challenge = _editable(request, pk)
        invitation = ChallengeInvitation.objects.filter(challenge=challenge, pk=invitation_pk).first()
        if invitation is None:
            raise NotFound
        services.challenge_uninvite_member(invitation=invitation, by=request_member(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


class TransitionListApi(APIView):
    """Every recorded phase move one may read, oldest first; `?challenge=<id>` or `?phase=<id>` narrows it."""

    permission_classes = [AllowAny]
    pagination_class = ByCreation

    @extend_schema(
        responses=PhaseTransitionSerializer(many=True),
        parameters=[
            inline_serializer(
                "TransitionFilter",
                {
                    "challenge": serializers.IntegerField(required=False),
                    "phase": serializers.IntegerField(required=False),
                },
            )
        ],
    )
    def get(self, request: Request) -> Response:
        records = selectors.phase_transitions_visible_to(request.user)
        for name, lookup in (("challenge", "phase__challenge_id"), ("phase", "phase_id")):
            value = request.query_params.get(name)
            if value:
                if not value.isdigit():
                    raise serializers.ValidationError({name: ["Must be a number."]})
                records = records.filter(**{lookup: int(value)})
        return _paginated(request, self, records, PhaseTransitionSerializer)
