"""REST API of the submissions app under /api/v1/.

Reading entries follows `selectors.entries_visible_to` (an entry one may not see is a 404, never a
403, so a sealed entry stays secret); every write goes through a service, which checks the
per-object permission and the rules (refusals follow `core.api`: 400 invalid input, 403 not allowed,
409 state conflict, each with `{"message", "extra"}`).
"""

from typing import Any

from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import BasePermission, IsAuthenticated, IsAuthenticatedOrReadOnly
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from blueprints.models import Revision
from blueprints.selectors import revision_by_id_for_viewer
from challenges.models import Phase, PhaseStatus
from challenges.selectors import challenge_visible, phase_visible
from community.http import request_member
from community.selectors import user_by_confirmed_email
from core.actors import Actor
from core.exceptions import Conflict, NotAllowed
from core.pagination import CURSOR_PARAM, KeysetPagination
from submissions import selectors, services
from submissions.models import (
    Award,
    AwardShare,
    Entry,
    EntryAuthor,
    JudgingRules,
    PhaseJudgingRules,
    UnscoredConfirmation,
)

# --- Serializers ------------------------------------------------------------------------------


class AuthorSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="user.public_name", read_only=True)

    class Meta:
        model = EntryAuthor
        fields = ["user", "name", "share", "is_lead", "acceptance", "responded_at"]
        read_only_fields = fields


class EntrySerializer(serializers.ModelSerializer):
    authors = AuthorSerializer(many=True, read_only=True)
    blueprint = serializers.CharField(source="revision.blueprint.slug", read_only=True)
    revision_number = serializers.IntegerField(source="revision.number", read_only=True)
    votes = serializers.IntegerField(source="vote_count", read_only=True)

    class Meta:
        model = Entry
        fields = [
            "id", "phase", "title", "statement", "status", "status_reason", "submitted_at", "lead_author",
            "authors", "revision", "blueprint", "revision_number", "votes",
        ]  # fmt: skip
        read_only_fields = fields


class CoAuthorInput(serializers.Serializer):
    email = serializers.EmailField()
    share = serializers.DecimalField(max_digits=5, decimal_places=2)


class EntryCreateSerializer(serializers.Serializer):
    phase = serializers.IntegerField()
    revision = serializers.IntegerField()
    title = serializers.CharField(max_length=200)
    statement = serializers.CharField(max_length=10000, required=False, allow_blank=True, default="")
    co_authors = CoAuthorInput(many=True, required=False, default=list)
    builds_on = serializers.ListField(child=serializers.IntegerField(), required=False, default=list)
    submit = serializers.BooleanField(default=True)


class CoAuthorsSerializer(serializers.Serializer):
    co_authors = CoAuthorInput(many=True)


class CoAuthorAnswerSerializer(serializers.Serializer):
    accept = serializers.BooleanField()


class WithdrawSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True, allow_null=True, default="")


class EntryReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=500)


class ScoreInputSerializer(serializers.Serializer):
    criterion = serializers.IntegerField()
    value = serializers.IntegerField(min_value=0, max_value=10)
    comment = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class ShareSerializer(serializers.ModelSerializer):
    recipient_name = serializers.CharField(source="recipient.public_name", read_only=True)

    class Meta:
        model = AwardShare
        fields = ["recipient", "recipient_name", "amount", "currency", "kind", "generation", "source_blueprint"]
        read_only_fields = fields


class AwardSerializer(serializers.ModelSerializer):
    shares = ShareSerializer(many=True, read_only=True)

    class Meta:
        model = Award
        fields = ["id", "phase", "rank", "entry", "amount", "currency", "awarded_at", "shares"]
        read_only_fields = fields


class AwardInputSerializer(serializers.Serializer):
    rank = serializers.IntegerField(min_value=1)
    entry = serializers.IntegerField()


class PhaseAwardSerializer(serializers.Serializer):
    awards = AwardInputSerializer(many=True)
    # The fingerprint of the confirmation shown (`awards/preview/`): refused if anything changed since.
    fingerprint = serializers.CharField(required=False, allow_blank=True, default="", max_length=64)


class PhaseAwardPreviewInputSerializer(serializers.Serializer):
    awards = AwardInputSerializer(many=True)


class UnscoredConfirmationSerializer(serializers.ModelSerializer):
    confirmed_by_name = serializers.CharField(source="confirmed_by.public_name", read_only=True)

    class Meta:
        model = UnscoredConfirmation
        fields = ["id", "phase", "confirmed_by", "confirmed_by_name", "confirmed_at", "reason", "entry_ids"]
        read_only_fields = fields


class ReadinessSerializer(serializers.Serializer):
    ready = serializers.BooleanField()
    total = serializers.IntegerField()
    scored = serializers.IntegerField()
    unscored = serializers.ListField(child=serializers.IntegerField(), source="unscored_ids")
    confirmation = UnscoredConfirmationSerializer(allow_null=True)


class PreviewShareSerializer(serializers.Serializer):
    recipient = serializers.IntegerField(source="recipient.pk")
    recipient_name = serializers.CharField(source="recipient.public_name")
    kind = serializers.CharField()
    generation = serializers.IntegerField()
    source_blueprint = serializers.IntegerField(source="source_blueprint.pk", allow_null=True, default=None)
    amount = serializers.DecimalField(max_digits=14, decimal_places=2)


class PreviewPrizeSerializer(serializers.Serializer):
    rank = serializers.IntegerField()
    amount = serializers.DecimalField(max_digits=14, decimal_places=2)
    currency = serializers.CharField()
    entry = serializers.IntegerField(source="entry.pk", allow_null=True, default=None)
    entry_title = serializers.CharField(source="entry.title", allow_null=True, default=None)
    shares = PreviewShareSerializer(many=True)


class AwardPreviewSerializer(serializers.Serializer):
    """What awarding would do; `final`: it cannot be undone. Send `fingerprint` with the award."""

    prizes = PreviewPrizeSerializer(many=True)
    readiness = ReadinessSerializer()
    fingerprint = serializers.CharField()
    final = serializers.BooleanField(default=True)


class ReplaceRevisionSerializer(serializers.Serializer):
    revision = serializers.IntegerField()


class JudgingRulesSerializer(serializers.ModelSerializer):
    class Meta:
        model = JudgingRules
        fields = ["lineage_share_percent", "lineage_generations", "awarded_by"]
        # A PUT replaces the rules: every field is given (the model's defaults would hide a missing one).
        extra_kwargs = {name: {"required": True} for name in fields}


class RankingRowSerializer(serializers.Serializer):
    position = serializers.IntegerField()
    entry = serializers.IntegerField()
    title = serializers.CharField()
    total = serializers.CharField(allow_null=True, help_text="A decimal number; null until judges scored.")
    judges_score = serializers.CharField(allow_null=True, help_text="A decimal number; null until judges scored.")
    vote_score = serializers.CharField(help_text="A decimal number.")
    first_places = serializers.IntegerField()
    judges = serializers.IntegerField()
    shortlisted = serializers.BooleanField()


class JudgeProgressSerializer(serializers.Serializer):
    judge = serializers.IntegerField()
    name = serializers.CharField()
    scored = serializers.IntegerField()
    recused = serializers.IntegerField()
    remaining = serializers.IntegerField()
    total = serializers.IntegerField()


class PhaseRulesSerializer(serializers.ModelSerializer):
    class Meta:
        model = PhaseJudgingRules
        fields = ["vote_share_percent", "shortlist_size"]
        extra_kwargs = {name: {"required": True} for name in fields}


def _valid(serializer_class: type[serializers.Serializer], request: Request) -> dict[str, Any]:
    """The request body checked by the serializer: a body of the wrong shape or types is a 400."""
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


class IsCoAuthor(BasePermission):
    """Only a co-author (not the lead author) named on the entry answers for themselves."""

    message = _("Only a co-author named on this entry can answer for themselves.")

    def has_object_permission(self, request: Any, view: Any, obj: Any) -> bool:
        return EntryAuthor.objects.filter(entry=obj, user=request.user, is_lead=False).exists()


def _paginated(request: Request, view: Any, queryset: QuerySet[Any], serializer: type) -> Response:
    paginator = view.pagination_class()
    page = paginator.paginate_queryset(queryset, request, view=view)
    return paginator.get_paginated_response(serializer(page, many=True).data)


def _entry_data(request: Request, pk: int) -> dict[str, Any]:
    listed = selectors.entry_list(user=request.user).filter(pk=pk).order_by().first()
    if listed is None:
        raise Http404
    return dict(EntrySerializer(listed).data)


def _co_authors(rows: list[dict[str, Any]]) -> list[services.CoAuthor]:
    result = []
    for row in rows:
        # Only a confirmed address names a member: one typed in at sign-up and never confirmed
        # would make its holder a co-author who reads the sealed entry.
        user = user_by_confirmed_email(row["email"])
        if user is None:
            message = _("No member has confirmed the address %(email)s.") % {"email": row["email"]}
            raise serializers.ValidationError({"co_authors": [message]})
        result.append(services.CoAuthor(user=user, share=row["share"]))
    return result


# --- Entries ----------------------------------------------------------------------------------


class EntryPagination(KeysetPagination):
    ordering = selectors.LIST_ORDER


class EntryListApi(APIView):
    """Entries one may see (`?phase=<id>`, `?mine=1`), newest first, a keyset page at a time
    (`?cursor=` from `next`/`previous`); POST enters a phase. An entry with co-authors starts as a
    draft (`"submit": false`) and is submitted once every co-author has accepted."""

    permission_classes = [IsAuthenticatedOrReadOnly]
    pagination_class = EntryPagination

    @extend_schema(responses=EntrySerializer(many=True))
    def get(self, request: Request) -> Response:
        phase = request.query_params.get("phase")
        entries = selectors.entry_list(
            user=request.user,
            phase_id=int(phase) if phase and phase.isdigit() else None,
            mine=request.query_params.get("mine") == "1",
        )
        return _paginated(request, self, entries, EntrySerializer)

    @extend_schema(request=EntryCreateSerializer, responses={201: EntrySerializer})
    def post(self, request: Request) -> Response:
        serializer = EntryCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        phase = phase_visible(user=request.user, pk=data["phase"])
        revision = revision_by_id_for_viewer(pk=data["revision"], user=request.user)
        entry = services.entry_create(
            phase=phase,
            user=request_member(request),
            revision=revision,
            title=data["title"],
            statement=data["statement"],
            co_authors=_co_authors(data["co_authors"]),
            builds_on=data["builds_on"],
            submit=data["submit"],
        )
        return Response(_entry_data(request, entry.pk), status=status.HTTP_201_CREATED)


class EntryDetailApi(APIView):
    permission_classes = [IsAuthenticatedOrReadOnly]

    @extend_schema(responses=EntrySerializer)
    def get(self, request: Request, pk: int) -> Response:
        return Response(_entry_data(request, pk))


class EntrySubmitApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses=EntrySerializer)
    def post(self, request: Request, pk: int) -> Response:
        entry = selectors.entry_visible(user=request.user, pk=pk)
        services.entry_submit(entry=entry, user=request_member(request))
        return Response(_entry_data(request, pk))


class EntryWithdrawApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=WithdrawSerializer, responses=EntrySerializer)
    def post(self, request: Request, pk: int) -> Response:
        entry = selectors.entry_visible(user=request.user, pk=pk)
        reason = _valid(WithdrawSerializer, request)["reason"] or ""
        services.entry_withdraw(entry=entry, user=request_member(request), reason=reason)
        return Response(_entry_data(request, pk))


class EntryDisqualifyApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=EntryReasonSerializer, responses=EntrySerializer)
    def post(self, request: Request, pk: int) -> Response:
        entry = selectors.entry_visible(user=request.user, pk=pk)
        reason = _valid(EntryReasonSerializer, request)["reason"]
        services.entry_disqualify(entry=entry, actor=Actor.user(request_member(request)), reason=reason)
        return Response(_entry_data(request, pk))


class EntryCoAuthorsApi(APIView):
    """The lead author names a draft's co-authors and shares again; every co-author is asked again."""

    permission_classes = [IsAuthenticated]

    @extend_schema(request=CoAuthorsSerializer, responses=EntrySerializer)
    def put(self, request: Request, pk: int) -> Response:
        entry = selectors.entry_visible(user=request.user, pk=pk)
        rows = _valid(CoAuthorsSerializer, request)["co_authors"]
        services.entry_co_authors_set(entry=entry, user=request_member(request), co_authors=_co_authors(rows))
        return Response(_entry_data(request, pk))


class EntryCoAuthorAnswerApi(APIView):
    """A co-author accepts (`{"accept": true}`) or declines being named on the entry."""

    permission_classes = [IsAuthenticated, IsCoAuthor]

    @extend_schema(request=CoAuthorAnswerSerializer, responses=EntrySerializer)
    def post(self, request: Request, pk: int) -> Response:
        entry = selectors.entry_visible(user=request.user, pk=pk)
        self.check_object_permissions(request, entry)
        accept = _valid(CoAuthorAnswerSerializer, request)["accept"]
        services.entry_co_author_respond(entry=entry, user=request_member(request), accept=accept)
        return Response(_entry_data(request, pk))


class EntryRevisionApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=ReplaceRevisionSerializer, responses=EntrySerializer)
    def post(self, request: Request, pk: int) -> Response:
        entry = selectors.entry_visible(user=request.user, pk=pk)
        serializer = ReplaceRevisionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        revision: Revision = revision_by_id_for_viewer(pk=serializer.validated_data["revision"], user=request.user)
        services.entry_replace_revision(entry=entry, user=request_member(request), revision=revision)
        return Response(_entry_data(request, pk))


class EntryVoteApi(APIView):
    permission_classes = [IsAuthenticated]
    throttle_scope = "votes"  # core.throttling.ScopedThrottle

    @extend_schema(request=None, responses=EntrySerializer)
    def post(self, request: Request, pk: int) -> Response:
        entry = selectors.entry_visible(user=request.user, pk=pk)
        services.vote_cast(voter=request_member(request), entry=entry)
        return Response(_entry_data(request, pk))

    @extend_schema(request=None, responses={200: EntrySerializer})
    def delete(self, request: Request, pk: int) -> Response:
        entry = selectors.entry_visible(user=request.user, pk=pk)
        services.vote_retract(voter=request_member(request), entry=entry)
        return Response(_entry_data(request, pk))


class EntryScoresApi(APIView):
    """The requesting judge's scores of the entry: GET them, PUT some or all criteria."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses=ScoreInputSerializer(many=True))
    def get(self, request: Request, pk: int) -> Response:
        entry = selectors.entry_visible(user=request.user, pk=pk)
        scores = selectors.scores_of_judge(user=request_member(request), entry=entry).values()
        return Response([{"criterion": s.criterion_id, "value": s.value, "comment": s.comment} for s in scores])

    @extend_schema(request=ScoreInputSerializer(many=True), responses=ScoreInputSerializer(many=True))
    def put(self, request: Request, pk: int) -> Response:
        entry = selectors.entry_visible(user=request.user, pk=pk)
        serializer = ScoreInputSerializer(data=request.data, many=True)
        serializer.is_valid(raise_exception=True)
        saved = services.entry_score(
            judge=request_member(request),
            entry=entry,
            scores=[services.ScoreInput(row["criterion"], row["value"], row["comment"]) for row in serializer.data],
        )
        return Response([{"criterion": s.criterion_id, "value": s.value, "comment": s.comment} for s in saved])


class EntryRecusalApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=EntryReasonSerializer, responses={204: None})
    def post(self, request: Request, pk: int) -> Response:
        entry = selectors.entry_visible(user=request.user, pk=pk)
        reason = _valid(EntryReasonSerializer, request)["reason"]
        services.entry_recuse(judge=request_member(request), entry=entry, reason=reason)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- Phases -----------------------------------------------------------------------------------


class PhaseEligibilityApi(APIView):
    """Whether the requesting member may enter the phase, and every reason why not."""

    permission_classes = [IsAuthenticatedOrReadOnly]

    @extend_schema(
        responses=inline_serializer(
            "Eligibility",
            {
                "eligible": serializers.BooleanField(),
                "entries_left": serializers.IntegerField(),
                "reasons": serializers.DictField(),
            },
        )
    )
    def get(self, request: Request, pk: int) -> Response:
        phase = phase_visible(user=request.user, pk=pk)
        eligibility = selectors.entry_eligibility(user=request.user, phase=phase)
        return Response(
            {"eligible": eligibility.ok, "entries_left": eligibility.entries_left, "reasons": eligibility.reasons}
        )


def _text(value: object) -> str | None:
    return None if value is None else str(value)


def _phase_for_ranking(request: Request, pk: int) -> Any:
    phase = phase_visible(user=request.user, pk=pk)
    if not selectors.may_rank(user=request.user, challenge=phase.challenge):
        raise PermissionDenied
    return phase


class RankingPagination(KeysetPagination):
    page_size = selectors.RANKING_PAGE_SIZE


class PhaseRankingApi(APIView):
    """The ranking (judges, the owner and staff) of the entries one may see: while a sealed phase is
    open, the owner sees none. Computed exactly over every entry, listed a page at a time."""

    permission_classes = [IsAuthenticated]
    pagination_class = RankingPagination

    @extend_schema(responses=RankingRowSerializer(many=True))
    def get(self, request: Request, pk: int) -> Response:
        phase = _phase_for_ranking(request, pk)
        paginator = self.pagination_class()
        paginator.request = request
        paginator.page = selectors.ranking_page(
            selectors.phase_ranking_for_viewer(user=request.user, phase=phase),
            cursor=request.query_params.get(CURSOR_PARAM),
            size=paginator.get_page_size(request),
        )
        return paginator.get_paginated_response(
            [
                {
                    "position": row.ranked.position,
                    "entry": row.entry.pk,
                    "title": row.entry.title,
                    "total": _text(row.total),
                    "judges_score": _text(row.judges_score),
                    "vote_score": _text(row.vote_score),
                    "first_places": row.ranked.first_places,
                    "judges": row.ranked.judges,
                    "shortlisted": row.shortlisted,
                }
                for row in paginator.page
            ]
        )


class PhaseProgressApi(APIView):
    """Every judge's progress (judges, the owner and staff) over the entries one may see."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses=JudgeProgressSerializer(many=True))
    def get(self, request: Request, pk: int) -> Response:
        phase = _phase_for_ranking(request, pk)
        return Response(
            [
                {
                    "judge": p.judge.pk,
                    "name": p.judge.public_name,
                    "scored": p.scored,
                    "recused": p.recused,
                    "remaining": p.remaining,
                    "total": p.total,
                }
                for p in selectors.panel_progress_for_viewer(user=request.user, phase=phase)
            ]  # fmt: skip
        )


class PhaseAwardsApi(APIView):
    """The phase's awards with their splits; POST awards the phase (all prizes at once)."""

    permission_classes = [IsAuthenticatedOrReadOnly]

    @extend_schema(responses=AwardSerializer(many=True))
    def get(self, request: Request, pk: int) -> Response:
        phase = phase_visible(user=request.user, pk=pk)
        awards = selectors.awards_of_phases(phase_ids=[phase.pk]).get(phase.pk, [])
        return Response(AwardSerializer(awards, many=True).data)

    @extend_schema(request=PhaseAwardSerializer, responses={201: AwardSerializer(many=True)})
    def post(self, request: Request, pk: int) -> Response:
        phase = phase_visible(user=request.user, pk=pk)
        data = _valid(PhaseAwardSerializer, request)
        services.phase_award(
            phase_id=phase.pk,
            by=request_member(request),
            choices=[services.AwardChoice(rank=row["rank"], entry_id=row["entry"]) for row in data["awards"]],
            fingerprint=data["fingerprint"],
        )
        awards = selectors.awards_of_phases(phase_ids=[phase.pk]).get(phase.pk, [])
        return Response(AwardSerializer(awards, many=True).data, status=status.HTTP_201_CREATED)


class PhaseAwardPreviewApi(APIView):
    """What awarding these prizes would do (winners, amounts, co-author and lineage shares), whether
    the phase may be awarded yet, and the fingerprint the award must carry. Changes nothing."""

    permission_classes = [IsAuthenticated]

    @extend_schema(request=PhaseAwardPreviewInputSerializer, responses=AwardPreviewSerializer)
    def post(self, request: Request, pk: int) -> Response:
        phase = phase_visible(user=request.user, pk=pk)
        refusal = selectors.award_refusal(user=request.user, challenge=phase.challenge)
        if refusal is not None:
            raise NotAllowed(refusal)
        if phase.status != PhaseStatus.JUDGING:  # before: a sealed phase's entries stay hidden from its owner
            raise Conflict(str(_("Prizes are awarded while the phase is being judged.")))
        rows = _valid(PhaseAwardPreviewInputSerializer, request)["awards"]
        preview = selectors.award_preview(phase=phase, choices=[(row["rank"], row["entry"]) for row in rows])
        return Response(AwardPreviewSerializer(preview).data)


class PhaseUnscoredConfirmationApi(APIView):
    """GET: how far the panel's scoring is and the latest confirmation; POST `{"reason"}`: a judge,
    the owner or staff confirm that the entries unscored now stay unscored."""

    permission_classes = [IsAuthenticated]

    def _phase(self, request: Request, pk: int) -> Phase:
        phase = phase_visible(user=request.user, pk=pk)
        if not selectors.may_rank(user=request.user, challenge=phase.challenge):
            raise PermissionDenied
        return phase

    @extend_schema(responses=ReadinessSerializer)
    def get(self, request: Request, pk: int) -> Response:
        phase = self._phase(request, pk)
        return Response(ReadinessSerializer(selectors.judging_readiness(phase=phase)).data)

    @extend_schema(request=EntryReasonSerializer, responses={201: UnscoredConfirmationSerializer})
    def post(self, request: Request, pk: int) -> Response:
        phase = self._phase(request, pk)
        reason = _valid(EntryReasonSerializer, request)["reason"]
        confirmation = services.phase_unscored_confirm(phase_id=phase.pk, by=request_member(request), reason=reason)
        return Response(UnscoredConfirmationSerializer(confirmation).data, status=status.HTTP_201_CREATED)


class ChallengeJudgingRulesApi(APIView):
    permission_classes = [IsAuthenticatedOrReadOnly]

    @extend_schema(responses=JudgingRulesSerializer)
    def get(self, request: Request, pk: int) -> Response:
        challenge = challenge_visible(user=request.user, pk=pk)
        return Response(JudgingRulesSerializer(selectors.judging_rules_for(challenge)).data)

    @extend_schema(request=JudgingRulesSerializer, responses=JudgingRulesSerializer)
    def put(self, request: Request, pk: int) -> Response:
        challenge = challenge_visible(user=request.user, pk=pk)
        services.rules_editor_require(
            by=request_member(request), challenge=challenge
        )  # before the body: 403 whatever it is
        serializer = JudgingRulesSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        rules = services.judging_rules_set(challenge=challenge, by=request_member(request), **serializer.validated_data)
        return Response(JudgingRulesSerializer(rules).data)


class PhaseJudgingRulesApi(APIView):
    permission_classes = [IsAuthenticatedOrReadOnly]

    @extend_schema(responses=PhaseRulesSerializer)
    def get(self, request: Request, pk: int) -> Response:
        phase = phase_visible(user=request.user, pk=pk)
        return Response(PhaseRulesSerializer(selectors.phase_rules_for(phase)).data)

    @extend_schema(request=PhaseRulesSerializer, responses=PhaseRulesSerializer)
    def put(self, request: Request, pk: int) -> Response:
        phase = phase_visible(user=request.user, pk=pk)
        services.rules_editor_require(by=request_member(request), challenge=phase.challenge)
        serializer = PhaseRulesSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        rules = services.phase_rules_set(phase=phase, by=request_member(request), **serializer.validated_data)
        return Response(PhaseRulesSerializer(rules).data)
