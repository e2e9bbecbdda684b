"""Upload page, ingestion runs and their rejected rows (htmx; every page works without JS)."""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_http_methods
from django_htmx.http import HttpResponseClientRedirect
from django_htmx.middleware import HtmxDetails

from criteria.access import operation_get_for_user
from metrics.access import ingestion_run_get_for_user, membership_can_ingest
from metrics.forms import IngestUploadForm
from metrics.selectors import (
    ingestion_runs_for_operation,
    rejected_rows_csv_lines,
    rejected_rows_for_run,
)
from metrics.services.ingest import (
    UploadTooLarge,
    ingestion_run_create,
    ingestion_run_enqueue,
    size_limit_message,
)
from metrics.uploads import TOO_LARGE_ATTRIBUTE, SizeLimitUploadHandler

REJECTS_PER_PAGE = 50
RUNS_PER_PAGE = 50


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails


def run_url(run) -> str:
    return reverse("metrics:run_detail", args=[run.operation.slug, run.pk])


@login_required
@csrf_exempt
@require_http_methods(["GET", "POST"])
def ingest_upload(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    # The size limit must be in place before anything reads the body, CSRF included.
    request.upload_handlers.insert(0, SizeLimitUploadHandler(request))
    return _ingest_upload(request, slug)


@csrf_protect
def _ingest_upload(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    operation, membership = operation_get_for_user(request.user, slug)
    can_ingest = membership_can_ingest(membership)
    limit = settings.STOPLINE_MAX_UPLOAD_BYTES
    form = IngestUploadForm()
    if request.method == "POST":
        if not can_ingest:
            raise PermissionDenied
        form = IngestUploadForm(request.POST, request.FILES)
        if getattr(request, TOO_LARGE_ATTRIBUTE, False):
            form = IngestUploadForm(request.POST)
            form.is_valid()
            form.errors.clear()
            form.add_error(None, size_limit_message(limit))
        elif form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                run = ingestion_run_create(
                    operation=operation,
                    file=upload,
                    file_name=upload.name,
                    kind=form.cleaned_data["kind"] or None,
                    uploaded_by=request.user,
                    via="upload",
                    max_bytes=limit,
                )
            except UploadTooLarge as exc:
                form.add_error("file", exc.message)
            else:
                ingestion_run_enqueue(run=run)
                url = run_url(run)
                if request.htmx:
                    return HttpResponseClientRedirect(url)
                return redirect(url)
    context = {
        "operation": operation,
        "form": form,
        "can_ingest": can_ingest,
        "limit_mb": f"{limit / 1_000_000:g}",
        "runs": ingestion_runs_for_operation(operation)[:5],
    }
    status = 400 if form.is_bound and form.errors else 200
    return render(request, "metrics/ingest_upload.html", context, status=status)


@login_required
@require_GET
def run_list(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    operation, membership = operation_get_for_user(request.user, slug)
    page = Paginator(ingestion_runs_for_operation(operation), RUNS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "metrics/run_list.html",
        {
            "operation": operation,
            "page": page,
            "can_ingest": membership_can_ingest(membership),
        },
    )


@login_required
@require_GET
def run_detail(request: HtmxHttpRequest, slug: str, run_id: int) -> HttpResponse:
    """The run page; htmx polls it for the status fragment while the run is in progress."""
    run, _ = ingestion_run_get_for_user(request.user, slug, run_id)
    page = Paginator(rejected_rows_for_run(run), REJECTS_PER_PAGE).get_page(request.GET.get("page"))
    context = {"operation": run.operation, "run": run, "page": page}
    if request.htmx:
        return render(request, "metrics/partials/_run_status.html", context)
    return render(request, "metrics/run_detail.html", context)


@login_required
@require_GET
def run_rejects_csv(request: HttpRequest, slug: str, run_id: int) -> StreamingHttpResponse:
    run, _ = ingestion_run_get_for_user(request.user, slug, run_id)
    response = StreamingHttpResponse(rejected_rows_csv_lines(run), content_type="text/csv")
    filename = f"{run.operation.slug}-run-{run.pk}-rejected.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
