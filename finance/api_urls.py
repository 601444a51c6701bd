from django.urls import path

from .api import ChannelPaymentBatch, ChannelPayments

urlpatterns = [
    path(
        "channels/<slug:code>/payments",
        ChannelPayments.as_view(),
        name="finance-channel-payment-push",
    ),
    path(
        "channels/<slug:code>/payments/batch",
        ChannelPaymentBatch.as_view(),
        name="finance-channel-payment-batch",
    ),
]
