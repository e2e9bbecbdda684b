from django.contrib import admin

from metrics.models import (
    Alert,
    Conversation,
    DailyAggregate,
    IngestionRun,
    RejectedRow,
    Review,
)


@admin.register(Conversation)
class ConversationAdmin(admin.ModelAdmin):
    list_display = ["conversation_id", "operation", "local_date", "complexity", "escalated"]
    list_filter = ["operation", "complexity", "escalated", "resolved_first_contact"]
    search_fields = ["conversation_id"]
    date_hierarchy = "local_date"
    list_select_related = ["operation"]
    show_full_result_count = False


@admin.register(DailyAggregate)
class DailyAggregateAdmin(admin.ModelAdmin):
    list_display = ["operation", "date", "segment", "conversations", "escalated", "source"]
    list_filter = ["operation", "segment", "source"]
    date_hierarchy = "date"
    list_select_related = ["operation"]


@admin.register(IngestionRun)
class IngestionRunAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "operation",
        "kind",
        "file_name",
        "status",
        "ingested",
        "updated",
        "rejected",
        "created_at",
    ]
    list_filter = ["status", "kind", "via", "operation"]
    search_fields = ["file_name", "sha256"]
    readonly_fields = [f.name for f in IngestionRun._meta.fields]
    list_select_related = ["operation"]


@admin.register(RejectedRow)
class RejectedRowAdmin(admin.ModelAdmin):
    list_display = ["run", "line", "column", "reason"]
    list_select_related = ["run"]
    readonly_fields = ["run", "line", "column", "reason", "original"]


@admin.register(Alert)
class AlertAdmin(admin.ModelAdmin):
    """Read-only: alerts change state through the services, which keep the history."""

    list_display = ["operation", "indicator", "rule", "direction", "opened_on", "state"]
    list_filter = ["state", "direction", "operation"]
    list_select_related = ["operation"]
    readonly_fields = [f.name for f in Alert._meta.fields]


@admin.register(Review)
class ReviewAdmin(admin.ModelAdmin):
    list_display = ["alert", "owner", "due_on", "decision", "decided_by"]
    list_select_related = ["alert", "owner", "decided_by"]
    readonly_fields = [f.name for f in Review._meta.fields]
