from django.urls import path

from . import views

app_name = "staffing"

urlpatterns = [
    path("", views.request_list, name="list"),
    path("new/", views.request_new, name="new"),
    path("<int:pk>/", views.request_detail, name="detail"),
    path("<int:pk>/approve/", views.request_approve, name="approve"),
    path("<int:pk>/candidates/", views.candidate_add, name="candidate_add"),
    path("<int:pk>/outcome/", views.candidate_outcome, name="candidate_outcome"),
    path("<int:pk>/cancel/", views.request_cancel, name="cancel"),
]
