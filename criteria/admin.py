from django.contrib import admin

from config.freshness import PageDataAdmin
from criteria.models import (
    AuditEvent,
    Comment,
    CriteriaVersion,
    IndicatorTarget,
    Operation,
    Position,
    Signature,
)
from criteria.services import operation_archive


class IndicatorTargetInline(admin.TabularInline):
    model = IndicatorTarget
    extra = 0


class SignatureInline(admin.TabularInline):
    model = Signature
    extra = 0
    readonly_fields = ["department", "user", "printed_name", "meaning", "signed_at", "content_hash"]


@admin.register(Operation)
class OperationAdmin(PageDataAdmin, admin.ModelAdmin):
    operation_field = "id"
    list_display = ["title", "slug", "organization", "go_live", "timezone", "archived_at"]
    list_filter = ["organization", "archived_at"]
    search_fields = ["title", "slug"]
    readonly_fields = ["archived_at"]
    actions = ["archive"]

    def has_delete_permission(self, request, obj=None) -> bool:
        # An operation is archived, never deleted: its audit trail must stay whole.
        return False

    @admin.action(description="Archive the selected operations (history is kept)")
    def archive(self, request, queryset) -> None:
        for operation in queryset:
            operation_archive(operation=operation, actor=request.user)
        self.message_user(request, f"Archived {queryset.count()} operation(s).")


@admin.register(CriteriaVersion)
class CriteriaVersionAdmin(PageDataAdmin, admin.ModelAdmin):
    list_display = ["operation", "number", "status", "content_hash", "created_at"]
    list_filter = ["status", "operation"]
    inlines = [IndicatorTargetInline, SignatureInline]


@admin.register(Position)
class PositionAdmin(PageDataAdmin, admin.ModelAdmin):
    list_display = ["operation", "department", "key", "range_min", "range_max", "updated_at"]
    list_filter = ["operation", "department"]


@admin.register(Comment)
class CommentAdmin(PageDataAdmin, admin.ModelAdmin):
    list_display = ["operation", "key", "author", "created_at", "resolved_at"]


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ["at", "operation", "actor", "action", "summary"]
    list_filter = ["action", "operation"]
    readonly_fields = [f.name for f in AuditEvent._meta.fields]

    # Append-only: the admin shows events, it never adds, edits or deletes one.
    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
