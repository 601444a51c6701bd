from django.urls import path

from .views import exceptions, shops
from .views import sales as views

app_name = "orders"

urlpatterns = [
    path("", views.order_list, name="order_list"),
    path("queue/", views.queue, name="queue"),
    path("new/", views.order_new, name="order_new"),
    path("figures/", views.stats, name="stats"),
    # The exception queue (异常订单) and the blacklist
    path("exceptions/", exceptions.exception_queue, name="exception_queue"),
    path("exceptions/<int:pk>/", exceptions.exception_detail, name="exception_detail"),
    path("exceptions/<int:pk>/map/", exceptions.exception_map, name="exception_map"),
    path("exceptions/<int:pk>/address/", exceptions.exception_address, name="exception_address"),
    path("exceptions/<int:pk>/recheck/", exceptions.exception_recheck, name="exception_recheck"),
    path("exceptions/<int:pk>/release/", exceptions.exception_release, name="exception_release"),
    path("exceptions/<int:pk>/cancel/", exceptions.exception_cancel, name="exception_cancel"),
    path(
        "exceptions/reasons/<int:pk>/approve/",
        exceptions.exception_approve,
        name="exception_approve",
    ),
    path(
        "channels/<int:pk>/intake-policy/",
        exceptions.channel_intake_policy,
        name="channel_intake_policy",
    ),
    path("blacklist/", exceptions.blacklist, name="blacklist"),
    path("blacklist/<int:pk>/remove/", exceptions.blacklist_remove, name="blacklist_remove"),
    path("<int:pk>/", views.order_detail, name="order_detail"),
    path("<int:pk>/<slug:action>/", views.order_action, name="order_action"),
    path("customers/", views.customer_list, name="customer_list"),
    path("customers/repeat/", views.repeat_customers, name="repeat_customers"),
    path("customers/<int:pk>/", views.customer_detail, name="customer_detail"),
    path("channels/", views.channel_list, name="channel_list"),
    path("channels/<int:pk>/", views.channel_detail, name="channel_detail"),
    path("mappings/<int:pk>/remove/", views.mapping_remove, name="mapping_remove"),
    path("import/", views.import_new, name="import_new"),
    path("import/<int:pk>/", views.import_detail, name="import_detail"),
    path("import/<int:pk>/map/", views.import_map_code, name="import_map_code"),
    # Shop opening (开店)
    path("shops/", shops.shop_list, name="shop_list"),
    path("shops/new/", shops.shop_new, name="shop_new"),
    path("shops/documents/<int:pk>/", shops.shop_document, name="shop_document"),
    path("shops/<int:pk>/", shops.shop_detail, name="shop_detail"),
    path("shops/<int:pk>/<slug:action>/", shops.shop_action, name="shop_action"),
]
