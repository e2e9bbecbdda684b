from django.urls import path

from outbox import api

urlpatterns = [
    path(
        "operations/<slug:slug>/webhooks/",
        api.WebhookEndpointListView.as_view(),
        name="api-webhooks",
    ),
    path(
        "operations/<slug:slug>/webhooks/<int:endpoint_id>/",
        api.WebhookEndpointDetailView.as_view(),
        name="api-webhook",
    ),
    path(
        "operations/<slug:slug>/webhooks/<int:endpoint_id>/test/",
        api.WebhookEndpointTestView.as_view(),
        name="api-webhook-test",
    ),
]
