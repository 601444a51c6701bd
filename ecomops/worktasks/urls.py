from django.urls import path

from . import views

app_name = "worktasks"

urlpatterns = [
    path("", views.task_list, name="list"),
    path("new/", views.task_new, name="new"),
    path("<int:pk>/", views.task_detail, name="detail"),
    path("<int:pk>/<str:action>/", views.task_action, name="action"),
    path("attachments/<int:pk>/", views.attachment_download, name="attachment"),
]
