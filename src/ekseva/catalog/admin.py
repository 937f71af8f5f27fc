"""Operator back office: read the catalogue. Read-only on purpose: departments,
services and versions change only through ``services`` (the loader and the operator
screens under /services/manage/), which check definitions and write the audit log;
a published version never changes at all."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from .models import Department, Service, ServiceVersion


class ReadOnlyAdmin(admin.ModelAdmin):
    """List and detail pages; no add, change or delete."""

    def get_readonly_fields(self, request: HttpRequest, obj=None) -> list[str]:
        return [f.name for f in self.model._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(Department)
class DepartmentAdmin(ReadOnlyAdmin):
    list_display = ("code", "name_en", "name_hi", "kind", "ifsc", "active")
    list_filter = ("kind", "active")
    search_fields = ("=code", "name_en", "name_hi")


@admin.register(Service)
class ServiceAdmin(ReadOnlyAdmin):
    list_display = ("code", "name_en", "department", "current_version")
    list_filter = ("department",)
    list_select_related = ("department", "current_version")
    search_fields = ("=code", "name_en", "name_hi")


@admin.register(ServiceVersion)
class ServiceVersionAdmin(ReadOnlyAdmin):
    list_display = ("service", "number", "status", "category", "published_at", "published_by")
    list_filter = ("status", "category")
    list_select_related = ("service", "published_by")
    search_fields = ("=service__code", "=content_hash")
    ordering = ("service__code", "-number")
