from django.urls import path

from .api import ChannelOrderIntake

urlpatterns = [
    path(
        "channels/<slug:code>/orders",
        ChannelOrderIntake.as_view(),
        name="orders-channel-order-push",
    ),
]
