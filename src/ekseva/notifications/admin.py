"""Operator back office: read the outbox (read-only: rows move only through services)."""

from django.contrib import admin

from .models import Message, MessageAttempt


class MessageAttemptInline(admin.TabularInline):
    model = MessageAttempt
    fields = ("number", "at", "outcome", "error")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "created_at",
        "channel",
        "template",
        "recipient",
        "status",
        "attempts",
        "next_attempt_at",
    )
    list_filter = ("status", "channel", "language")
    search_fields = ("=recipient", "=template", "=provider_reference", "=dedupe_key")
    date_hierarchy = "created_at"
    ordering = ("-created_at",)
    inlines = [MessageAttemptInline]
    readonly_fields = [field.name for field in Message._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
