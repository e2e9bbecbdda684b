from csp.decorators import csp_update
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from config.views import healthz


class ApiDocsView(SpectacularSwaggerSplitView):
    # An HTML page: OPTIONS would render DRF's metadata through the HTML renderer (a 500).
    http_method_names = ["get", "head"]


urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("accounts/", include("accounts.urls")),
    path("oidc/", include("mozilla_django_oidc.urls")),
    path("api/v1/", include("config.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # Swagger UI (a vendored bundle) styles its elements inline: that page alone allows it.
    path(
        "api/docs/",
        csp_update({"style-src": ["'unsafe-inline'"]})(ApiDocsView.as_view(url_name="schema")),
        name="api-docs",
    ),
    path("ofrep/v1/", include("guardrails.ofrep_urls")),
    path("guardrails/", include(("guardrails.urls", "guardrails"))),
    path("integrations/", include(("outbox.urls", "outbox"))),
    path("metrics/", include(("metrics.urls", "metrics"))),
    path("sampling/", include(("sampling.urls", "sampling"))),
    path("", include(("criteria.urls", "criteria"))),
]
