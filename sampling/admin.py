from django.contrib import admin

from sampling.models import (
    CalibrationCase,
    ReviewItem,
    Rubric,
    RubricScore,
    SamplingDraw,
    SamplingSettings,
)


@admin.register(SamplingSettings)
class SamplingSettingsAdmin(admin.ModelAdmin):
    list_display = ["operation", "redact_transcripts", "double_review_share", "review_sla_days"]


@admin.register(Rubric)
class RubricAdmin(admin.ModelAdmin):
    list_display = ["organization", "updated_at"]


@admin.register(SamplingDraw)
class SamplingDrawAdmin(admin.ModelAdmin):
    list_display = ["operation", "week", "seed", "created_at"]


# Transcripts are deliberately not in the admin: they are read only through the reviewer queue,
# where every read is logged.
@admin.register(ReviewItem)
class ReviewItemAdmin(admin.ModelAdmin):
    list_display = ["id", "draw", "stratum", "status", "assigned_to", "due", "is_double"]
    list_filter = ["status", "stratum", "is_double"]
    raw_id_fields = ["conversation", "draw", "assigned_to"]


@admin.register(RubricScore)
class RubricScoreAdmin(admin.ModelAdmin):
    list_display = ["item", "reviewer", "verdict", "acceptable", "created_at"]
    raw_id_fields = ["item"]


admin.site.register(CalibrationCase)
