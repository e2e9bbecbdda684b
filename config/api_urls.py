"""All /api/v1/ routes, one include per app."""

from django.urls import include, path, re_path

from config.views import api_not_found

urlpatterns = [
    path("", include("criteria.api_urls")),
    path("", include("guardrails.api_urls")),
    path("", include("metrics.api_urls")),
    path("", include("sampling.api_urls")),
    path("", include("outbox.api_urls")),
    # Anything else under /api/v1/ answers the API's JSON 404, not an HTML page.
    # [\s\S], not ".": a path with an encoded line break in it too (found by the API fuzzer).
    re_path(r"^[\s\S]*$", api_not_found),
]
