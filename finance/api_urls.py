from django.urls import path

from .api import ChannelPayments

urlpatterns = [
    path(
        "channels/<slug:code>/payments",
        ChannelPayments.as_view(),
        name="finance-channel-payment-push",
    ),
]
