from django.urls import path

from .api import CarrierEvents, ChannelOrderReadBack

urlpatterns = [
    path("carriers/<slug:code>/events", CarrierEvents.as_view(), name="warehouse-carrier-events"),
    path(
        "channels/<slug:code>/orders/<str:external_id>",
        ChannelOrderReadBack.as_view(),
        name="warehouse-channel-order-read",
    ),
]
