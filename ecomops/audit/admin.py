from django.contrib import admin

from .models import Note


@admin.register(Note)
class NoteAdmin(admin.ModelAdmin[Note]):
    list_display = ["created_at", "content_type", "object_id", "author", "text"]
    list_filter = ["content_type"]
    search_fields = ["text"]
    list_select_related = ["content_type", "author"]
    readonly_fields = ["created_at"]
