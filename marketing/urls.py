from django.urls import path

from . import views

app_name = "marketing"

urlpatterns = [
    path("", views.home, name="home"),
    path("campaigns/", views.campaign_list, name="campaign_list"),
    path("campaigns/new/", views.campaign_new, name="campaign_new"),
    path("campaigns/<int:pk>/", views.campaign_detail, name="campaign_detail"),
    path("campaigns/<int:pk>/edit/", views.campaign_edit, name="campaign_edit"),
    path("campaigns/<int:pk>/report.pdf", views.campaign_report, name="campaign_report"),
    # The campaign's steps (POST only)
    path("campaigns/<int:pk>/plans/", views.plan_save, name="plan_save"),
    path("campaigns/<int:pk>/plans/lines/", views.plan_line_save, name="plan_line_save"),
    path(
        "campaigns/<int:pk>/plans/lines/<int:line_pk>/remove/",
        views.plan_line_remove,
        name="plan_line_remove",
    ),
    path("campaigns/<int:pk>/plans/choose/", views.plan_choose, name="plan_choose"),
    path("campaigns/<int:pk>/preheat/", views.preheat, name="preheat"),
    path("campaigns/<int:pk>/coordinate/", views.coordinate, name="coordinate"),
    path("campaigns/<int:pk>/tasks/<int:task_pk>/waive/", views.task_waive, name="task_waive"),
    path(
        "campaigns/<int:pk>/tasks/<int:task_pk>/redispatch/",
        views.task_redispatch,
        name="task_redispatch",
    ),
    path("campaigns/<int:pk>/go-live/", views.go_live, name="go_live"),
    path("campaigns/<int:pk>/end/", views.end, name="end"),
    path("campaigns/<int:pk>/refresh/", views.refresh, name="refresh"),
    path("campaigns/<int:pk>/close/", views.close, name="close"),
    path("campaigns/<int:pk>/cancel/", views.cancel, name="cancel"),
]
