from django.contrib import admin

from criteria.models import (
    AuditEvent,
    Comment,
    CriteriaVersion,
    IndicatorTarget,
    Operation,
    Position,
    Signature,
)


class IndicatorTargetInline(admin.TabularInline):
    model = IndicatorTarget
    extra = 0


class SignatureInline(admin.TabularInline):
    model = Signature
    extra = 0
    readonly_fields = ["department", "user", "printed_name", "meaning", "signed_at", "content_hash"]


@admin.register(Operation)
class OperationAdmin(admin.ModelAdmin):
    list_display = ["title", "slug", "organization", "go_live", "timezone"]
    list_filter = ["organization"]
    search_fields = ["title", "slug"]


@admin.register(CriteriaVersion)
class CriteriaVersionAdmin(admin.ModelAdmin):
    list_display = ["operation", "number", "status", "content_hash", "created_at"]
    list_filter = ["status", "operation"]
    inlines = [IndicatorTargetInline, SignatureInline]


@admin.register(Position)
class PositionAdmin(admin.ModelAdmin):
    list_display = ["operation", "department", "key", "range_min", "range_max", "updated_at"]
    list_filter = ["operation", "department"]


@admin.register(Comment)
class CommentAdmin(admin.ModelAdmin):
    list_display = ["operation", "key", "author", "created_at", "resolved_at"]


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ["at", "operation", "actor", "action", "summary"]
    list_filter = ["action", "operation"]
    readonly_fields = [f.name for f in AuditEvent._meta.fields]
