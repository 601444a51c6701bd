from django.urls import path

from .api import ChannelOrderBatchIntake, ChannelOrderIntake
from .api_events import ChannelOrderEvents

urlpatterns = [
    path(
        "channels/<slug:code>/orders",
        ChannelOrderIntake.as_view(),
        name="orders-channel-order-push",
    ),
    path(
        "channels/<slug:code>/orders/batch",
        ChannelOrderBatchIntake.as_view(),
        name="orders-channel-order-batch",
    ),
    path(
        "channels/<slug:code>/orders/<str:external_id>/events",
        ChannelOrderEvents.as_view(),
        name="orders-channel-order-event",
    ),
]
