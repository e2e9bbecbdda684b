from django.urls import path

from metrics import api

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
]
