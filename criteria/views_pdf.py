"""Download a criteria version as the one-page wall PDF."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET

from criteria.access import version_get_for_user
from criteria.pdf import PAPERS, criteria_pdf_render


@login_required
@require_GET
def version_pdf(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    """Any member of the operation's organization may print it; others get 404."""
    version, _membership = version_get_for_user(request.user, slug, number)
    paper = request.GET.get("paper", "a4").lower()
    if paper not in PAPERS:
        return HttpResponseBadRequest(
            f"Unknown paper; use one of: {', '.join(PAPERS)}.", content_type="text/plain"
        )
    pdf = criteria_pdf_render(version=version, paper=paper)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(
        True, f"{version.operation.slug}-criteria-v{version.number}-{paper}.pdf"
    )
    return response
