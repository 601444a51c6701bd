from django.urls import path

from . import digital_views, views

app_name = "finance"

urlpatterns = [
    path("", views.home, name="home"),
    path("requests/", views.request_list, name="request_list"),
    path("requests/new/", views.request_new, name="request_new"),
    path("requests/<int:pk>/", views.request_detail, name="request_detail"),
    path("invoices/", views.invoice_list, name="invoice_list"),
    path("invoices/<int:pk>/", views.invoice_detail, name="invoice_detail"),
    path("invoices/<int:pk>/pdf/", views.invoice_pdf, name="invoice_pdf"),
    path("payments/", views.payment_list, name="payment_list"),
    path("payments/<int:pk>/", views.payment_detail, name="payment_detail"),
    path("receivables/", views.receivables, name="receivables"),
    path("remittances/<int:pk>/receive/", views.remittance_receive, name="remittance_receive"),
    path("remittances/", views.remittance_list, name="remittance_list"),
    path("remittances/<int:pk>/", views.remittance_detail, name="remittance_detail"),
    path(
        "remittances/<int:pk>/differences/",
        views.remittance_difference,
        name="remittance_difference",
    ),
    path(
        "remittance-differences/<int:pk>/<str:decision>/",
        views.remittance_difference_decide,
        name="remittance_difference_decide",
    ),
    path("customers/", views.customer_list, name="customer_list"),
    path("customers/<int:pk>/statement/", views.customer_statement, name="customer_statement"),
    path("red-letters/", views.red_letter_request_list, name="red_letter_request_list"),
    path(
        "red-letters/<int:pk>/", views.red_letter_request_detail, name="red_letter_request_detail"
    ),
    path("refunds/", views.refund_list, name="refund_list"),
    path("refunds/new/", views.refund_new, name="refund_new"),
    path("refunds/<int:pk>/", views.refund_detail, name="refund_detail"),
    path("reconciliation/", views.run_list, name="run_list"),
    path("reconciliation/<int:pk>/", views.run_detail, name="run_detail"),
    path("reconciliation/<int:pk>/<str:kind>/", views.run_file, name="run_file"),
    path("settlements/", views.settlement_list, name="settlement_list"),
    path("settlements/<int:pk>/", views.settlement_detail, name="settlement_detail"),
    path("settlements/<int:pk>/confirm/", views.settlement_confirm, name="settlement_confirm"),
    path("settlements/<int:pk>/<str:kind>/", views.settlement_file, name="settlement_file"),
    # Fully digital e-invoices (数电票)
    path("platform/", digital_views.platform_desk, name="platform_desk"),
    path("platform/export/", digital_views.platform_export, name="platform_export"),
    path(
        "platform/batches/<int:pk>/template/",
        digital_views.platform_batch_template,
        name="platform_batch_template",
    ),
    path("requests/<int:pk>/digital/", digital_views.digital_entry, name="digital_entry"),
    path("red-confirmations/", digital_views.red_confirmation_list, name="red_confirmation_list"),
    path(
        "red-confirmations/<int:pk>/",
        digital_views.red_confirmation_detail,
        name="red_confirmation_detail",
    ),
    path(
        "invoices/<int:invoice_pk>/red-confirmation/",
        digital_views.red_confirmation_new,
        name="red_confirmation_new",
    ),
    path(
        "invoices/<int:pk>/buyer-used/", digital_views.invoice_buyer_used, name="invoice_buyer_used"
    ),
]

# Statements (issue 22 §1)
from . import statement_views  # noqa: E402

urlpatterns += [
    path("statements/", statement_views.statement_list, name="statement_list"),
    path("statements/import/", statement_views.statement_upload, name="statement_upload"),
    path(
        "statements/lines/<int:pk>/",
        statement_views.statement_line_detail,
        name="statement_line_detail",
    ),
    path(
        "statements/lines/<int:pk>/accept/",
        statement_views.statement_line_accept,
        name="statement_line_accept",
    ),
    path(
        "statements/lines/<int:pk>/undo/",
        statement_views.statement_line_undo,
        name="statement_line_undo",
    ),
]
