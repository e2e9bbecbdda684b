from django.contrib import admin

from config.freshness import PageDataAdmin
from metrics.models import (
    Alert,
    Conversation,
    DailyAggregate,
    IngestionRun,
    RejectedRow,
    Review,
    SurveyPhrases,
    WarningSettings,
)


@admin.register(Conversation)
class ConversationAdmin(PageDataAdmin, admin.ModelAdmin):
    list_display = ["conversation_id", "operation", "local_date", "complexity", "escalated"]
    list_filter = ["operation", "complexity", "escalated", "resolved_first_contact"]
    search_fields = ["conversation_id"]
    date_hierarchy = "local_date"
    list_select_related = ["operation"]
    show_full_result_count = False

    def save_model(self, request, obj, form, change):
        obj.line_hash = None  # changed by hand: the CSV line that set it is read again if re-sent
        super().save_model(request, obj, form, change)


@admin.register(DailyAggregate)
class DailyAggregateAdmin(PageDataAdmin, admin.ModelAdmin):
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

    list_display = ["operation", "severity", "indicator", "rule", "direction", "opened_on", "state"]
    list_filter = ["severity", "state", "direction", "operation"]
    list_select_related = ["operation"]
    readonly_fields = [f.name for f in Alert._meta.fields]


@admin.register(Review)
class ReviewAdmin(admin.ModelAdmin):
    list_display = ["alert", "owner", "due_on", "decision", "decided_by"]
    list_select_related = ["alert", "owner", "decided_by"]
    readonly_fields = [f.name for f in Review._meta.fields]


@admin.register(WarningSettings)
class WarningSettingsAdmin(PageDataAdmin, admin.ModelAdmin):
    """An operation's early warnings: their yearly budget and whether they open a review."""

    list_display = ["operation", "warning_budget_per_year", "warnings_open_review"]
    list_select_related = ["operation"]


@admin.register(SurveyPhrases)
class SurveyPhrasesAdmin(admin.ModelAdmin):
    """An organization's own "could not reach a person" phrases, by language."""

    list_display = ["organization"]
    list_select_related = ["organization"]
