from django.urls import path

from payments import views

app_name = "payments"

urlpatterns = [
    path("earnings/", views.earnings, name="earnings"),
    path("earnings/statement.csv", views.statement, {"fmt": "csv"}, name="statement_csv"),
    path("earnings/statement.pdf", views.statement, {"fmt": "pdf"}, name="statement_pdf"),
    path("payout-methods/", views.payout_methods, name="payout_methods"),
    path("payout-methods/<int:pk>/remove/", views.payout_method_remove, name="payout_method_remove"),
    path("challenges/<slug:slug>/budget/", views.budget, name="budget"),
]
