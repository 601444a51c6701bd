from django.urls import path

from . import views

app_name = "portal"

urlpatterns = [
    path("", views.home, name="home"),
    path("roles/<slug:role>/", views.role_home, name="role_home"),
    path("queues/", views.queues, name="queues"),
    path("overdue/", views.overdue, name="overdue"),
    path("overview/", views.overview, name="overview"),
    path("overview/live/", views.overview_live, name="overview_live"),
    path("clocks/", views.clocks, name="clocks"),
]
