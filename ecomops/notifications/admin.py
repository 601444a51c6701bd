from django.contrib import admin

from .models import Notification


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin[Notification]):
    list_display = ["title", "recipient", "level", "created_at", "read_at", "emailed_at"]
    list_filter = ["level", ("read_at", admin.EmptyFieldListFilter)]
    search_fields = ["title", "body", "recipient__username"]
    list_select_related = ["recipient"]
    readonly_fields = ["created_at", "read_at", "emailed_at", "key"]
    date_hierarchy = "created_at"
