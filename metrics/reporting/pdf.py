"""The executive status PDF: one or two A4 pages, charts drawn as inline SVG.

Rendering never touches the network: the stylesheet is inline in the template and the URL
fetcher is the wall PDF's, which refuses everything but data: URIs and local static files.
"""

import logging

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from weasyprint import HTML

from criteria.pdf import LocalOnlyFetcher
from metrics.reporting.status_report import NO_RECOMMENDATION, StatusReport

logger = logging.getLogger(__name__)

STATUS_TEMPLATE = "metrics/pdf/status.html"
MAX_PAGES = 2


def status_pdf_render(*, report: StatusReport) -> bytes:
    dashboard_url = settings.SITE_URL.rstrip("/") + reverse(
        "metrics:dashboard", args=[report.operation.slug]
    )
    html = render_to_string(
        STATUS_TEMPLATE,
        {
            "report": report,
            "no_recommendation": NO_RECOMMENDATION,
            "dashboard_url": dashboard_url,
        },
    )
    document = HTML(
        string=html, base_url=str(settings.BASE_DIR), url_fetcher=LocalOnlyFetcher()
    ).render()
    if len(document.pages) > MAX_PAGES:
        # Only very long alert lists get here; the charts and statements are on page one.
        logger.warning("Status PDF for %s ran to %d pages", report.operation, len(document.pages))
        document = document.copy(document.pages[:MAX_PAGES])
    return document.write_pdf()
