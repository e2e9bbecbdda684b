"""The senior reviewers' queue (htmx; every page works without JS, and by keyboard).

Every lookup goes through sampling.access: only senior reviewers of the organization, and only
items assigned to them; anything else is 404.
"""

import io
import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.csv_export import SafeWriter
from accounts.errors import StoplineError
from accounts.http import HtmxHttpRequest
from metrics.models import ReviewerRecommendation
from sampling.access import (
    calibration_case_get_for_reviewer,
    operation_get_for_reviewer,
    review_item_get_for_reviewer,
)
from sampling.models import HandoffVerdict, ReviewItem
from sampling.selectors import (
    agreement_by_week,
    calibration_cases_for,
    progress_for_reviewer,
    queue_for_reviewer,
    queue_page_rows,
    weekly_scores_for,
)
from sampling.services import (
    calibration_case_resolve,
    recommendation_record,
    review_item_next,
    review_item_score,
    review_item_skip,
    rubric_for,
    transcript_read_log,
    week_label,
    week_parse,
    week_start_of,
)

ROLE_LABELS = {"customer": "Customer", "ai": "AI", "agent": "Human agent"}


QUEUE_PER_PAGE = 50


def _item_url(item: ReviewItem, slug: str) -> str:
    return reverse("sampling:item", args=[slug, item.pk])


@login_required
@require_GET
def queue(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    operation, _ = operation_get_for_reviewer(request.user, slug)
    progress = progress_for_reviewer(operation, request.user)
    if request.htmx:
        return render(
            request,
            "sampling/partials/_progress.html",
            {"operation": operation, "progress": progress},
        )
    # Open items first, then the done ones, 50 a page: a year of reviewing stays one page.
    # The progress counted the reviewer's items already: the paginator pages that count.
    page = Paginator(range(progress.assigned), QUEUE_PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "operation": operation,
        "progress": progress,
        "page": page,
        "rows_html": _queue_rows_html(
            queue_page_rows(
                operation,
                request.user,
                offset=max(page.start_index() - 1, 0),
                limit=QUEUE_PER_PAGE,
                today=timezone.localdate(),
            ),
            _item_url_prefix(slug),
        ),
    }
    return render(request, "sampling/queue.html", context)


# The queue's rows are drawn here rather than in a template loop: 50 rows of seven values cost
# the template engine about a millisecond a page, a quarter of the view (docs/performance.md).
_ROW = '<tr{}><td><a href="{}{}/">{}</a></td><td>{}</td><td>{}</td><td>{}</td><td>{}{}</td></tr>\n'
_OVERDUE = mark_safe(' class="overdue"')  # noqa: S308 (constant markup)
_PAST_SLA = mark_safe(' <strong class="warn">past SLA</strong>')  # noqa: S308 (constant markup)


def _queue_rows_html(rows: list[dict], item_prefix: str) -> SafeString:
    """The table rows of the queue page (every value escaped by format_html)."""
    return mark_safe(  # noqa: S308 (each row is format_html's output)
        "".join(
            format_html(
                _ROW,
                _OVERDUE if r["overdue"] else "",
                item_prefix,
                r["id"],
                r["label"],
                r["week"],
                r["stratum"],
                r["status"],
                r["due"],
                _PAST_SLA if r["overdue"] else "",
            )
            for r in rows
        )
    )


def _item_url_prefix(slug: str) -> str:
    url = reverse("sampling:item", args=[slug, 1])
    return url[: url.rindex("/1/") + 1]


@login_required
@require_POST
def next_item(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    operation, _ = operation_get_for_reviewer(request.user, slug)
    item = review_item_next(operation=operation, reviewer=request.user)
    if item is None:
        messages.info(request, "Nothing left to review: the queue is empty.")
        return redirect("sampling:queue", slug)
    return redirect(_item_url(item, slug))


def _fields(definition: dict, answers: dict) -> list[dict]:
    fields = []
    for item in definition.get("items", []):
        field = dict(item)
        field["value"] = answers.get(item["key"])
        if field["value"] is None and item.get("critical") and item["type"] == "yes_no":
            # A critical failure is something the reviewer marks, not something to confirm.
            field["value"] = "yes" if item.get("fail_on", "yes") == "no" else "no"
        if item["type"] == "verdict":
            keys = item.get("keys") or []
            field["options"] = [
                {"value": v, "label": label, "key": keys[i] if i < len(keys) else ""}
                for i, (v, label) in enumerate(HandoffVerdict.choices)
            ]
        elif item["type"] == "yes_no":
            keys = item.get("keys") or []
            field["options"] = [
                {"value": v, "label": v.title(), "key": keys[i] if i < len(keys) else ""}
                for i, v in enumerate(("yes", "no"))
            ]
        elif item["type"] == "yes_no_na":
            field["options"] = [
                {"value": v, "label": label, "key": ""}
                for v, label in (("yes", "Yes"), ("no", "No"), ("na", "N/A"))
            ]
        fields.append(field)
    return fields


@login_required
@require_http_methods(["GET", "POST"])
def item(request: HtmxHttpRequest, slug: str, item_id: int) -> HttpResponse:
    review_item, _ = review_item_get_for_reviewer(request.user, slug, item_id)
    operation = review_item.draw.operation
    rubric = rubric_for(operation.organization)
    error = ""
    status = 200
    answers: dict = {}
    existing = getattr(review_item, "score", None) if review_item.status == "done" else None
    if existing is not None:
        answers = dict(existing.answers)
    if request.method == "POST":
        answers = {k: v for k, v in request.POST.items() if k != "csrfmiddlewaretoken"}
        try:
            review_item_score(item=review_item, reviewer=request.user, answers=answers)
        except StoplineError as exc:
            error, status = exc.message, exc.status
        else:
            if request.POST.get("action") == "save_next":
                nxt = review_item_next(operation=operation, reviewer=request.user)
                if nxt is not None:
                    return redirect(_item_url(nxt, slug))
                messages.success(request, "Saved. That was the last item in the queue.")
                return redirect("sampling:queue", slug)
            messages.success(request, "Saved.")
            return redirect(_item_url(review_item, slug))
    transcript = transcript_read_log(item=review_item, user=request.user, via="web")
    turns = [
        {**m, "number": i, "label": ROLE_LABELS.get(m.get("role"), m.get("role"))}
        for i, m in enumerate(transcript.messages if transcript else [], start=1)
    ]
    context = {
        "operation": operation,
        "item": review_item,
        "conversation": review_item.conversation,
        "transcript": transcript,
        "turns": turns,
        "fields": _fields(rubric.definition, answers),
        "error": error,
        "overdue": review_item.is_overdue(),
        "progress": progress_for_reviewer(operation, request.user),
    }
    return render(request, "sampling/item.html", context, status=status)


@login_required
@require_POST
def skip(request: HtmxHttpRequest, slug: str, item_id: int) -> HttpResponse:
    review_item, _ = review_item_get_for_reviewer(request.user, slug, item_id)
    operation = review_item.draw.operation
    try:
        review_item_skip(item=review_item, reviewer=request.user, reason=request.POST.get("reason"))
    except StoplineError as exc:
        messages.error(request, exc.message)
        return redirect(_item_url(review_item, slug))
    nxt = review_item_next(operation=operation, reviewer=request.user)
    if nxt is not None:
        return redirect(_item_url(nxt, slug))
    return redirect("sampling:queue", slug)


@login_required
@require_GET
def export(request: HttpRequest, slug: str) -> HttpResponse:
    """The reviewer's own items and scores as CSV (transcripts included: each read is logged)."""
    operation, _ = operation_get_for_reviewer(request.user, slug)
    items = queue_for_reviewer(operation, request.user).select_related(
        "score", "conversation__transcript"
    )
    buffer = io.StringIO()
    writer = SafeWriter(buffer)
    writer.writerow(
        ["item", "week", "conversation_id", "stratum", "inclusion_probability", "status"]
        + ["verdict", "acceptable", "skip_reason", "transcript"]
    )
    for review_item in items:
        score = getattr(review_item, "score", None)
        transcript = transcript_read_log(item=review_item, user=request.user, via="export")
        writer.writerow(
            [
                review_item.pk,
                review_item.draw.week,
                review_item.conversation.conversation_id,
                review_item.stratum,
                f"{review_item.inclusion_probability:.6f}",
                review_item.status,
                score.verdict if score else "",
                ("yes" if score.acceptable else "no") if score else "",
                review_item.skip_reason,
                json.dumps(transcript.messages, ensure_ascii=False) if transcript else "",
            ]
        )
    response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{slug}-my-reviews.csv"'
    return response


@login_required
@require_GET
def agreement(request: HttpRequest, slug: str) -> HttpResponse:
    operation, _ = operation_get_for_reviewer(request.user, slug)
    rubric = rubric_for(operation.organization)
    context = {
        "operation": operation,
        "weeks": agreement_by_week(operation, rubric.definition),
        "cases": calibration_cases_for(operation),
        "scores": weekly_scores_for(operation)[:30],
        "recommendations": operation.reviewer_recommendations.select_related("reviewer")[:20],
    }
    return render(request, "sampling/agreement.html", context)


@login_required
@require_POST
def calibration_resolve(request: HttpRequest, slug: str, case_id: int) -> HttpResponse:
    case = calibration_case_get_for_reviewer(request.user, slug, case_id)
    try:
        calibration_case_resolve(
            case=case, user=request.user, resolution=request.POST.get("resolution", "")
        )
    except StoplineError as exc:
        messages.error(request, exc.message)
    return redirect(reverse("sampling:agreement", args=[slug]) + f"#case-{case.pk}")


@login_required
@require_http_methods(["GET", "POST"])
def recommendation(request: HttpRequest, slug: str) -> HttpResponse:
    operation, _ = operation_get_for_reviewer(request.user, slug)
    this_week = week_start_of(timezone.localdate())
    error, status = "", 200
    values = {"week": week_label(this_week), "decision": "", "reason": ""}
    if request.method == "POST":
        values = {k: request.POST.get(k, "").strip() for k in ("week", "decision", "reason")}
        try:
            recommendation_record(
                operation=operation,
                reviewer=request.user,
                week_start=week_parse(values["week"])[1],
                decision=values["decision"],
                reason=values["reason"],
            )
        except StoplineError as exc:
            error, status = exc.message, exc.status
        else:
            messages.success(request, "Recommendation recorded.")
            return redirect("sampling:recommendation", slug)
    context = {
        "operation": operation,
        "values": values,
        "error": error,
        "decisions": ReviewerRecommendation.Decision.choices,
        "mine": operation.reviewer_recommendations.filter(reviewer=request.user)[:10],
    }
    return render(request, "sampling/recommendation.html", context, status=status)
