from django.urls import path

from .api import CarrierEvents

urlpatterns = [
    path("carriers/<slug:code>/events", CarrierEvents.as_view(), name="warehouse-carrier-events"),
]
