from django.urls import path

from metrics import api, api_alerts

urlpatterns = [
    path(
        "operations/<slug:slug>/conversations/",
        api.ConversationsIngestView.as_view(),
        name="api-conversations-ingest",
    ),
    path(
        "operations/<slug:slug>/daily-metrics/",
        api.DailyMetricsIngestView.as_view(),
        name="api-daily-metrics-ingest",
    ),
    path(
        "operations/<slug:slug>/ingestion-runs/",
        api.IngestionRunListView.as_view(),
        name="api-ingestion-runs",
    ),
    path("operations/<slug:slug>/alerts/", api_alerts.AlertListView.as_view(), name="api-alerts"),
    *[
        path(
            f"operations/<slug:slug>/alerts/<int:alert_id>/{name}/",
            view.as_view(),
            name=f"api-alert-{name}",
        )
        for name, view in api_alerts.ALERT_ACTION_VIEWS.items()
    ],
    path(
        "operations/<slug:slug>/reviews/", api_alerts.ReviewListView.as_view(), name="api-reviews"
    ),
    path(
        "operations/<slug:slug>/reviews/<int:review_id>/decide/",
        api_alerts.ReviewDecideView.as_view(),
        name="api-review-decide",
    ),
]
