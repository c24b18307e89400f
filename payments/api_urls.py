from django.urls import path

from payments import apis

urlpatterns = [
    path("payments/challenges/<int:pk>/budget/", apis.ChallengeBudgetApi.as_view(), name="api-payments-budget"),
    path("payments/earnings/", apis.EarningsApi.as_view(), name="api-payments-earnings"),
    path("payments/payouts/", apis.PayoutListApi.as_view(), name="api-payments-payouts"),
    path("payments/payouts/<int:pk>/retry/", apis.PayoutRetryApi.as_view(), name="api-payments-payout-retry"),
    path("payments/payout-methods/", apis.PayoutMethodListApi.as_view(), name="api-payments-methods"),
    path("payments/payout-methods/<int:pk>/", apis.PayoutMethodApi.as_view(), name="api-payments-method"),
    path("payments/receipts/", apis.ReceiptListApi.as_view(), name="api-payments-receipts"),
    path("payments/batches/", apis.BatchListApi.as_view(), name="api-payments-batches"),
    path("payments/batches/<int:pk>/file/", apis.BatchFileApi.as_view(), name="api-payments-batch-file"),
    path("payments/batches/<int:pk>/mark-paid/", apis.BatchMarkPaidApi.as_view(), name="api-payments-batch-paid"),
]
