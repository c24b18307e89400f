"""REST API of the payments app under /api/v1/payments/.

Members read their own earnings, payouts and payout methods and change their methods (with their
password); clients read the budget of their own challenges (anyone else: 404). Staff record
funding receipts, export SEPA batches, download their files and mark them paid, and retry payouts.
Refusals are `ApplicationError`s: 400 with `{"message", "extra"}`.
"""

from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.permissions import IsAdminUser, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from community.http import request_member
from core.actors import Actor
from core.exceptions import ApplicationError
from core.money import MoneySerializerField
from core.pagination import KeysetPagination
from payments import selectors, services
from payments.models import FundingReceipt, Payout, PayoutBatch, PayoutMethod

# --- Serializers ------------------------------------------------------------------------------


class PayoutSerializer(serializers.ModelSerializer):
    challenge_title = serializers.CharField(source="challenge.title", read_only=True)

    class Meta:
        model = Payout
        fields = [
            "id", "kind", "challenge", "challenge_title", "description", "amount", "currency", "status",
            "created_at", "paid_at",
        ]  # fmt: skip
        read_only_fields = fields


class StaffPayoutSerializer(PayoutSerializer):
    class Meta(PayoutSerializer.Meta):
        fields = [
            *PayoutSerializer.Meta.fields,
            "recipient",
            "idempotency_key",
            "provider",
            "attempts",
            "last_error",
            "batch",
        ]
        read_only_fields = fields


class PayoutMethodSerializer(serializers.ModelSerializer):
    # The account as its provider shows it; `masked_iban` is the same, for clients of the bank-only days.
    masked_iban = serializers.CharField(source="shown_as", read_only=True)

    class Meta:
        model = PayoutMethod
        fields = [
            "id",
            "provider",
            "holder_name",
            "shown_as",
            "masked_iban",
            "is_active",
            "usable_from",
            "created_at",
        ]
        read_only_fields = fields


class PayoutMethodInputSerializer(serializers.Serializer):
    holder_name = serializers.CharField(max_length=70)
    iban = serializers.CharField(max_length=42, required=False, allow_blank=True, default="")
    bic = serializers.CharField(max_length=11, required=False, allow_blank=True, default="")
    provider = serializers.CharField(
        max_length=30,
        required=False,
        allow_blank=True,
        default="",
        help_text="A registered payout provider's code, paid to `destination`; without it, `iban` (and `bic`) "
        "make a bank account.",
    )
    destination = serializers.DictField(
        child=serializers.CharField(max_length=100, allow_blank=True),
        required=False,
        default=dict,
        help_text="What the provider asks for (its destination fields).",
    )
    password = serializers.CharField(write_only=True, trim_whitespace=False)


class PasswordSerializer(serializers.Serializer):
    password = serializers.CharField(write_only=True, trim_whitespace=False)


class CurrencyTotalsSerializer(serializers.Serializer):
    currency = serializers.CharField()
    pending = serializers.DecimalField(max_digits=14, decimal_places=2)
    paid = serializers.DecimalField(max_digits=14, decimal_places=2)


class ReceiptSerializer(serializers.ModelSerializer):
    class Meta:
        model = FundingReceipt
        fields = [
            "id", "challenge", "amount", "currency", "reference", "bank_transaction_id", "payer_name", "note",
            "received_on", "recorded_by", "created_at",
        ]  # fmt: skip
        read_only_fields = fields


class ReceiptInputSerializer(serializers.Serializer):
    reference = serializers.CharField(max_length=40)
    amount = MoneySerializerField(max_digits=14, decimal_places=2)
    currency = serializers.CharField(max_length=3)
    bank_transaction_id = serializers.CharField(max_length=80)
    received_on = serializers.DateField(default=timezone.localdate)
    payer_name = serializers.CharField(max_length=140, required=False, allow_blank=True, default="")
    note = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class BatchSerializer(serializers.ModelSerializer):
    class Meta:
        model = PayoutBatch
        fields = ["id", "currency", "message_id", "status", "total", "count", "created_at", "created_by", "paid_at"]
        read_only_fields = fields


class BudgetSerializer(serializers.Serializer):
    challenge = serializers.IntegerField(source="challenge.pk")
    currency = serializers.CharField()
    budget = serializers.DecimalField(max_digits=14, decimal_places=2)
    prizes = serializers.DecimalField(max_digits=14, decimal_places=2)
    funded = serializers.DecimalField(max_digits=14, decimal_places=2)
    awarded = serializers.DecimalField(max_digits=14, decimal_places=2)
    paid = serializers.DecimalField(max_digits=14, decimal_places=2)
    refunded = serializers.DecimalField(max_digits=14, decimal_places=2)
    refunds_paid = serializers.DecimalField(max_digits=14, decimal_places=2)
    escrow = serializers.DecimalField(max_digits=14, decimal_places=2)
    due = serializers.DecimalField(max_digits=14, decimal_places=2)
    overpaid = serializers.DecimalField(max_digits=14, decimal_places=2)
    adds_up = serializers.BooleanField()
    reference = serializers.CharField()
    bank = serializers.DictField(child=serializers.CharField())
    receipts = ReceiptSerializer(many=True)
    payouts = PayoutSerializer(many=True)


# --- Members and clients ----------------------------------------------------------------------


class ChallengeBudgetApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses=BudgetSerializer, summary="A challenge's money (its owner and staff)")
    def get(self, request: Request, pk: int) -> Response:
        challenge = selectors.challenge_for_budget(user=request.user, pk=pk)
        return Response(BudgetSerializer(selectors.challenge_budget(challenge=challenge)).data)


class EarningsApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        responses=inline_serializer("Earnings", {"totals": CurrencyTotalsSerializer(many=True)}),
        summary="My earnings, pending and paid per currency",
    )
    def get(self, request: Request) -> Response:
        earnings = selectors.member_earnings(user=request_member(request))
        return Response({"totals": CurrencyTotalsSerializer(earnings.totals, many=True).data})


class NewestFirst(KeysetPagination):
    ordering = ("-created_at", "-pk")


class PayoutListApi(APIView):
    permission_classes = [IsAuthenticated]
    pagination_class = NewestFirst

    @extend_schema(responses=PayoutSerializer(many=True), summary="My payouts, newest first")
    def get(self, request: Request) -> Response:
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(selectors.member_payouts(user=request_member(request)), request, view=self)
        return paginator.get_paginated_response(PayoutSerializer(page, many=True).data)


class PayoutMethodListApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses=PayoutMethodSerializer(many=True), summary="My payout methods (masked)")
    def get(self, request: Request) -> Response:
        methods = selectors.payout_methods_of(user=request_member(request))
        return Response(PayoutMethodSerializer(methods, many=True).data)

    @extend_schema(
        request=PayoutMethodInputSerializer,
        responses={201: PayoutMethodSerializer},
        summary="Add or replace my bank account or other payout method (password needed; held, and e-mailed to me)",
    )
    def post(self, request: Request) -> Response:
        data = PayoutMethodInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        given = data.validated_data
        common = {"user": request_member(request), "password": given["password"], "holder_name": given["holder_name"]}
        if given["provider"]:
            method = services.payout_method_choose(
                **common, provider=given["provider"], destination=given["destination"]
            )
        else:
            method = services.payout_method_set(**common, iban=given["iban"], bic=given["bic"])
        return Response(PayoutMethodSerializer(method).data, status=status.HTTP_201_CREATED)


class PayoutMethodApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=PasswordSerializer, responses={204: None}, summary="Remove my bank account")
    def delete(self, request: Request, pk: int) -> Response:
        method = selectors.payout_method_for_owner(user=request_member(request), pk=pk)
        data = PasswordSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.payout_method_remove(
            user=request_member(request), method=method, password=data.validated_data["password"]
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- Staff ------------------------------------------------------------------------------------


class ReceiptListApi(APIView):
    permission_classes = [IsAdminUser]
    pagination_class = NewestFirst

    @extend_schema(responses=ReceiptSerializer(many=True), summary="Funding receipts (staff)")
    def get(self, request: Request) -> Response:
        paginator = self.pagination_class()
        receipts = FundingReceipt.objects.order_by("-created_at", "-pk")
        page = paginator.paginate_queryset(receipts, request, view=self)
        return paginator.get_paginated_response(ReceiptSerializer(page, many=True).data)

    @extend_schema(
        request=ReceiptInputSerializer, responses={201: ReceiptSerializer}, summary="Record a bank credit (staff)"
    )
    def post(self, request: Request) -> Response:
        data = ReceiptInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        receipt = services.funding_receipt_record(by=request_member(request), **data.validated_data)
        return Response(ReceiptSerializer(receipt).data, status=status.HTTP_201_CREATED)


class BatchListApi(APIView):
    permission_classes = [IsAdminUser]
    pagination_class = NewestFirst

    @extend_schema(responses=BatchSerializer(many=True), summary="SEPA payout batches (staff)")
    def get(self, request: Request) -> Response:
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(PayoutBatch.objects.all(), request, view=self)
        return paginator.get_paginated_response(BatchSerializer(page, many=True).data)

    @extend_schema(
        request=inline_serializer("BatchCreate", {"currency": serializers.CharField(default="EUR")}),
        responses={201: BatchSerializer},
        summary="Export every waiting payout into a new SEPA file (staff)",
    )
    def post(self, request: Request) -> Response:
        if not isinstance(request.data, dict):
            raise ApplicationError(_('Send a JSON object, such as {"currency": "EUR"}.'))
        currency = str(request.data.get("currency", "EUR"))
        batch = services.payout_batch_create(by=request_member(request), currency=currency)
        return Response(BatchSerializer(batch).data, status=status.HTTP_201_CREATED)


class BatchFileApi(APIView):
    permission_classes = [IsAdminUser]

    @extend_schema(responses={(200, "application/xml"): bytes}, summary="Download a batch's pain.001 file (staff)")
    def get(self, request: Request, pk: int) -> HttpResponse:
        batch = get_object_or_404(PayoutBatch, pk=pk)
        response = HttpResponse(batch.xml, content_type="application/xml")
        response["Content-Disposition"] = f'attachment; filename="{batch.message_id}.xml"'
        return response


class BatchMarkPaidApi(APIView):
    permission_classes = [IsAdminUser]

    @extend_schema(request=None, responses=BatchSerializer, summary="The bank executed the batch (staff)")
    def post(self, request: Request, pk: int) -> Response:
        batch = services.payout_batch_mark_paid(batch=get_object_or_404(PayoutBatch, pk=pk), by=request_member(request))
        return Response(BatchSerializer(batch).data)


class PayoutRetryApi(APIView):
    permission_classes = [IsAdminUser]

    @extend_schema(request=None, responses=StaffPayoutSerializer, summary="Send a failed payout again (staff)")
    def post(self, request: Request, pk: int) -> Response:
        payout = services.payout_retry(
            payout=get_object_or_404(Payout, pk=pk), actor=Actor.user(request_member(request))
        )
        return Response(StaffPayoutSerializer(payout).data)
