from django.urls import path

from .views import deals, home, partners, programme

app_name = "distribution"

urlpatterns = [
    path("", home.home, name="home"),
    path("pipeline/", home.pipeline, name="pipeline"),
    path("sales/", home.sales_chart, name="sales_chart"),
    # Partners
    path("partners/", partners.partner_list, name="partner_list"),
    path("partners/new/", partners.partner_new, name="partner_new"),
    path("partners/<int:pk>/", partners.partner_detail, name="partner_detail"),
    path("partners/<int:pk>/edit/", partners.partner_edit, name="partner_edit"),
    path("partners/<int:pk>/sales/", partners.partner_sales, name="partner_sales"),
    path("partners/<int:pk>/contacts/", partners.contact_add, name="contact_add"),
    path("partners/<int:pk>/log/", partners.log_add, name="log_add"),
    path("log/<int:pk>/done/", partners.log_step_done, name="log_step_done"),
    path("partners/<int:pk>/authorize/", partners.authorization_new, name="authorization_new"),
    path(
        "authorizations/<int:pk>/letter/",
        partners.authorization_letter,
        name="authorization_letter",
    ),
    path(
        "authorizations/<int:pk>/package/",
        partners.authorization_package,
        name="authorization_package",
    ),
    path("partners/<int:pk>/<str:action>/", partners.partner_action, name="partner_action"),
    # Distributor programme
    path("programme/", programme.programme, name="programme"),
    path("programme/brochure.pdf", programme.brochure, name="brochure"),
    path("applications/", programme.applications, name="applications"),
    path("applications/<int:pk>/", programme.screen, name="screen"),
    # Group-buying deals
    path("deals/", deals.deal_board, name="deal_board"),
    path("deals/new/", deals.deal_new, name="deal_new"),
    path("deals/<int:pk>/", deals.deal_detail, name="deal_detail"),
    path("deals/<int:pk>/lines/", deals.deal_line_save, name="deal_line_save"),
    path(
        "deals/<int:pk>/lines/<int:line_pk>/remove/",
        deals.deal_line_remove,
        name="deal_line_remove",
    ),
    path("deals/<int:pk>/documents/", deals.deal_document_upload, name="deal_document_upload"),
    path("documents/<int:pk>/", deals.deal_document_file, name="deal_document_file"),
    path("deals/<int:pk>/<str:action>/", deals.deal_action, name="deal_action"),
    path("stock/", deals.stock_requests, name="stock_requests"),
]
