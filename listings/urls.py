from django.urls import path

from . import views

app_name = "listings"

urlpatterns = [
    path("", views.catalog, name="catalog"),
    path("export/<str:fmt>/", views.catalog_export, name="catalog_export"),
    path("data-package/", views.data_package, name="data_package"),
    path("skus/<int:pk>/", views.sku_detail, name="sku_detail"),
    path("skus/<int:pk>/<slug:action>/", views.sku_action, name="sku_action"),
    path("applications/mine/", views.my_applications, name="my_applications"),
    path("applications/new/", views.application_new, name="application_new"),
    path("applications/review/", views.review_queue, name="review_queue"),
    path("applications/design/", views.design_queue, name="design_queue"),
    path("applications/pricing/", views.pricing_queue, name="pricing_queue"),
    path("applications/<int:pk>/", views.application_detail, name="application_detail"),
    path("applications/<int:pk>/edit/", views.application_edit, name="application_edit"),
    path("applications/<int:pk>/base-info/", views.base_info, name="base_info"),
    path("applications/<int:pk>/images/", views.image_upload, name="image_upload"),
    path("applications/<int:pk>/design/", views.design, name="design"),
    path("applications/<int:pk>/preview/", views.preview, name="preview"),
    path("applications/<int:pk>/pricing/", views.pricing, name="pricing"),
    path(
        "applications/<int:pk>/<slug:action>/", views.application_action, name="application_action"
    ),
]
