"""Upload page, ingestion runs and their rejected rows (htmx; every page works without JS)."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_http_methods
from django_htmx.http import HttpResponseClientRedirect

from accounts.errors import StoplineError
from accounts.http import HtmxHttpRequest
from config.freshness import operation_version
from config.page_cache import page_cache_get, page_cache_set
from criteria.access import operation_get_for_user
from metrics.access import (
    alert_get_for_user,
    ingestion_run_get_for_user,
    membership_can_act_on,
    membership_can_decide_review,
    membership_can_ingest,
    review_get_for_user,
)
from metrics.alerts.reviews import alert_act, review_decide
from metrics.forms import AlertActionForm, IngestUploadForm, ReviewDecideForm
from metrics.ingest.complaints import complaint_evidence
from metrics.ingest.review_scores import reviewer_recommendation_latest
from metrics.ingest.services import (
    UploadTooLarge,
    ingestion_run_create,
    ingestion_run_enqueue,
    size_limit_message,
)
from metrics.ingest.uploads import TOO_LARGE_ATTRIBUTE, SizeLimitUploadHandler
from metrics.ingest.upserts import complaint_phrases_extra
from metrics.models import Alert, Review
from metrics.selectors import (
    alert_events,
    alerts_history,
    alerts_open,
    complaints_flagged,
    ingestion_runs_for_operation,
    rejected_rows_csv_lines,
    rejected_rows_for_run,
    reviews_for_operation,
    run_progress_live,
)

REJECTS_PER_PAGE = 50
RUNS_PER_PAGE = 50


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
    run = run_progress_live(run)
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


# --------------------------------------------------------------------------------------------
# Alerts and reviews

ALERTS_PER_PAGE = 25


def _refused(request: HttpRequest, exc: StoplineError, back: str) -> HttpResponse:
    """403/409 answer with a page saying what happened; input errors go back with a message."""
    if exc.status == 400:
        messages.error(request, exc.message)
        return redirect(back)
    return render(
        request,
        "criteria/error.html",
        {"message": exc.message, "back": back, "status": exc.status},
        status=exc.status,
    )


def _alert_tables(operation, page_number: str | None) -> SafeString:
    """The open alerts and one page of the history, the same for every reader. The first
    page (what people open) is drawn once per operation data version (config/freshness.py);
    older pages are read when asked for."""
    key = f"alerts:{operation.pk}:{operation_version(operation.pk)}" if not page_number else None
    html = page_cache_get(key) if key else None
    if html is None:
        page = Paginator(alerts_history(operation), ALERTS_PER_PAGE).get_page(page_number)
        context = {
            "operation": operation,
            "open_alerts": list(alerts_open(operation)),
            "page": page,
        }
        html = str(render_to_string("metrics/partials/_alert_tables.html", context))
        if key:
            page_cache_set(key, html)
    return mark_safe(html)  # noqa: S308 - our own template's output, escaped when rendered


@login_required
@require_GET
def alert_list(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    """Open alerts first, then the history of resolved ones (paginated)."""
    operation, _ = operation_get_for_user(request.user, slug)
    tables = _alert_tables(operation, request.GET.get("page"))
    if request.htmx:
        return HttpResponse(tables)
    return render(request, "metrics/alert_list.html", {"operation": operation, "tables": tables})


@login_required
@require_http_methods(["GET", "POST"])
def alert_detail(request: HtmxHttpRequest, slug: str, alert_id: int) -> HttpResponse:
    alert, membership = alert_get_for_user(request.user, slug, alert_id)
    url = reverse("metrics:alert_detail", args=[slug, alert.pk])
    form = AlertActionForm()
    if request.method == "POST":
        if not membership_can_act_on(membership, alert):
            raise PermissionDenied
        form = AlertActionForm(request.POST)
        if form.is_valid():
            try:
                alert_act(
                    alert=alert,
                    membership=membership,
                    action=form.cleaned_data["action"],
                    note=form.cleaned_data["note"],
                    snooze_until=form.cleaned_data["until"],
                )
            except StoplineError as exc:
                if exc.status != 400:
                    return _refused(request, exc, url)
                form.add_error(None, exc.message)
            else:
                if not request.htmx:
                    messages.success(request, f"Alert {alert.get_state_display().lower()}.")
                    return redirect(url)
                form = AlertActionForm()
    context = {
        "operation": alert.operation,
        "alert": alert,
        "events": alert_events(alert),
        "form": form,
        "can_act": membership_can_act_on(membership, alert) and not alert.is_resolved,
        "review": getattr(alert, "review", None) if _alert_has_review(alert) else None,
        "today": timezone.localdate(),
    }
    if request.htmx:
        # htmx swaps only 2xx answers; the fragment carries the error message itself.
        return render(request, "metrics/partials/_alert_state.html", context)
    status = 400 if form.is_bound and form.errors else 200
    return render(request, "metrics/alert_detail.html", context, status=status)


def _alert_has_review(alert: Alert) -> bool:
    try:
        return alert.review is not None
    except Review.DoesNotExist:
        return False


@login_required
@require_GET
def complaint_list(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    """The survey comments flagged as "could not reach a person / not understood"."""
    operation, _ = operation_get_for_user(request.user, slug)
    page = Paginator(complaints_flagged(operation), ALERTS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    # Beside each comment, the words that made it a complaint: a reviewer sees why at once.
    extra = complaint_phrases_extra(operation) if page.object_list else None
    rows = [(c, complaint_evidence(c.survey_comment, extra)) for c in page.object_list]
    return render(
        request,
        "metrics/complaint_list.html",
        {"operation": operation, "page": page, "rows": rows},
    )


@login_required
@require_GET
def review_list(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    operation, membership = operation_get_for_user(request.user, slug)
    page = Paginator(reviews_for_operation(operation), ALERTS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    today = timezone.localdate()
    rows = [
        {
            "review": r,
            "overdue": r.is_overdue(today),
            "can_decide": not r.is_decided and membership_can_decide_review(membership, r),
        }
        for r in page.object_list
    ]
    context = {
        "operation": operation,
        "page": page,
        "rows": rows,
        "form": ReviewDecideForm(),
        "recommendation": reviewer_recommendation_latest(operation),
    }
    return render(request, "metrics/review_list.html", context)


@login_required
@require_http_methods(["POST"])
def review_decide_view(request: HtmxHttpRequest, slug: str, review_id: int) -> HttpResponse:
    review, membership = review_get_for_user(request.user, slug, review_id)
    back = reverse("metrics:review_list", args=[slug])
    if not membership_can_decide_review(membership, review):
        raise PermissionDenied
    form = ReviewDecideForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose a decision and say why.")
        return redirect(back)
    try:
        review = review_decide(
            review=review,
            membership=membership,
            decision=form.cleaned_data["decision"],
            reason=form.cleaned_data["reason"],
            pause_segment=form.cleaned_data["pause_segment"],
        )
    except StoplineError as exc:
        return _refused(request, exc, back)
    messages.success(request, f"Decision recorded: {review.get_decision_display().lower()}.")
    if review.decision == Review.Decision.PAUSE:
        messages.info(
            request,
            f"The AI is paused for {review.pause_segment} cases: the guardrail flags say so "
            "to the AI platform until someone resumes on the Guardrails page.",
        )
    if review.draft_version is not None:
        url = reverse("criteria:board", args=[slug])
        return HttpResponseClientRedirect(url) if request.htmx else redirect(url)
    return HttpResponseClientRedirect(back) if request.htmx else redirect(back)
