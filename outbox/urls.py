from django.urls import path

from outbox import views

urlpatterns = [
    path("<slug:slug>/webhooks/", views.webhooks, name="webhooks"),
    path(
        "<slug:slug>/webhooks/<int:endpoint_id>/<str:action>/",
        views.webhook_action,
        name="webhook_action",
    ),
    path("<slug:slug>/deliveries/", views.deliveries, name="deliveries"),
    path(
        "<slug:slug>/deliveries/<int:delivery_id>/retry/",
        views.delivery_retry_view,
        name="delivery_retry",
    ),
]
