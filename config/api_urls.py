"""All /api/v1/ routes, one include per app."""

from django.urls import include, path

urlpatterns = [
    path("", include("criteria.api_urls")),
    path("", include("guardrails.api_urls")),
    path("", include("metrics.api_urls")),
    path("", include("sampling.api_urls")),
]
