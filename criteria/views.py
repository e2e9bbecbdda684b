"""HTML views of the criteria workshop. Thin: parse input, call one service or selector."""

import hashlib
from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import get_conditional_response, patch_cache_control, patch_vary_headers
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.http import require_GET, require_POST

from accounts.auth import password_reconfirm
from accounts.csv_export import SafeWriter
from accounts.errors import PermissionDenied, StoplineError
from accounts.http import HtmxHttpRequest
from accounts.views import SESSION_AUTH_AT
from config.freshness import operation_version
from config.page_cache import page_cache_get, page_cache_set
from criteria import selectors, services
from criteria.access import operation_get_for_user, operations_for_user, version_get_for_user
from criteria.models import Comment, IndicatorKey, TriggerRule
from criteria.yaml_io import parse_document, version_to_yaml


def _error_page(request: HttpRequest, exc: StoplineError, back: str) -> HttpResponse:
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


def _percent(value: str | None) -> Any:
    """Forms take percentages (people think in %); services take fractions."""
    if value is None or not str(value).strip():
        return None
    text = str(value).strip().rstrip("%").strip().replace(",", ".")
    try:
        return Decimal(text) / 100
    except InvalidOperation:
        return value  # the service names the field in its error


def _board_url(slug: str, key: str | None = None) -> str:
    url = reverse("criteria:board", args=[slug])
    return f"{url}#ind-{key}" if key else url


def _fresh_login(request: HttpRequest) -> bool:
    return not services.reauth_needed(request.session.get(SESSION_AUTH_AT))


@login_required
@require_GET
def operation_list(request: HttpRequest) -> HttpResponse:
    operations = (
        operations_for_user(request.user)
        .filter(archived_at__isnull=True)
        .prefetch_related("versions")
    )
    rows = []
    for op in operations:
        versions = sorted(op.versions.all(), key=lambda v: -v.number)
        latest = versions[0] if versions else None
        in_force = next((v for v in versions if v.is_agreed), None)
        rows.append(
            {
                "operation": op,
                "latest": latest,
                "ready": in_force is not None,
                "readiness": selectors.readiness_label(op, latest, in_force),
            }
        )
    return render(request, "criteria/operation_list.html", {"rows": rows})


@login_required
@require_GET
def operation_detail(request: HttpRequest, slug: str) -> HttpResponse:
    operation, membership = operation_get_for_user(request.user, slug)
    status = selectors.operation_status(operation)
    return render(
        request,
        "criteria/operation_detail.html",
        {
            "operation": operation,
            "membership": membership,
            "versions": selectors.versions_list(operation)[:20],
            **status,
        },
    )


def _board_etag(request: HttpRequest, operation, membership, projector: bool) -> str:
    """What the polled fragment depends on: the operation's data version (every criteria write
    goes through audit_record, which bumps it; so do ingestion and alerts), who reads it (the
    resolve buttons) and their CSRF secret (the fragment's forms carry a token)."""
    secret = request.META.get("CSRF_COOKIE") or ""
    reader = f"{membership.pk}.{membership.role}.{membership.department_id}.{int(projector)}"
    csrf = hashlib.sha256(secret.encode()).hexdigest()[:8]
    return f'"board-{operation.pk}-{operation_version(operation.pk)}-{reader}-{csrf}"'


@login_required
@require_GET
def board(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    """The page, or (htmx) the live fragment the page polls every few seconds. The fragment
    carries an ETag: a poll that finds nothing changed gets 304 without reading the board."""
    operation, membership = operation_get_for_user(request.user, slug)
    projector = request.GET.get("projector") == "1"
    etag = _board_etag(request, operation, membership, projector) if request.htmx else None
    response = get_conditional_response(request, etag=etag) if etag else None
    if response is None:
        response = _board_render(request, operation, membership, projector)
    if etag:
        response["ETag"] = etag
        patch_cache_control(response, private=True, no_cache=True)
    patch_vary_headers(response, ("HX-Request",))
    return response


TICKS = [0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100]


def _board_data(operation) -> tuple[selectors.Board, dict[str, SafeString]]:
    """The board's positions, comments, draft and signatures, and the HTML that is the same
    for every reader (the sign-off card; each indicator's number line, table and backtest),
    read and drawn once per operation data version (every criteria write bumps it through
    audit_record) and day, then served from the cache. What depends on the reader (their
    forms, the resolve buttons, CSRF tokens) is never in it: _board_render draws that."""
    # The day too: the readiness line says "live" from the go-live date on.
    key = f"board-page:{operation.pk}:{operation_version(operation.pk)}:{timezone.localdate()}"
    cached = page_cache_get(key)
    if cached is None:
        data = selectors.board_get(operation)
        html = {
            "signoff": render_to_string("criteria/partials/_signoff_body.html", {"board": data})
        }
        for row in data.rows:
            html[row.key] = render_to_string(
                "criteria/partials/_indicator_chart.html",
                {"operation": operation, "row": row, "ticks": TICKS},
            )
        cached = (data, html)
        page_cache_set(key, cached)
    data, html = cached
    return data, {k: mark_safe(v) for k, v in html.items()}  # noqa: S308 - our templates' output


def _board_render(request: HtmxHttpRequest, operation, membership, projector: bool) -> HttpResponse:
    data, fragments = _board_data(operation)
    my_position = {
        p.key: p
        for row in data.rows
        for p in row.positions
        if p.department_id == membership.department_id
    }
    context = {
        "operation": operation,
        "membership": membership,
        "board": data,
        "fragments": fragments,
        "my_position": my_position,
        "rules": TriggerRule.choices,
        "departments": operation.organization.departments.all(),
        "fresh_login": _fresh_login(request),
        "projector": projector,
    }
    if request.htmx:
        return render(request, "criteria/partials/_board_live.html", context)
    return render(request, "criteria/board.html", context)


@login_required
@require_POST
def position_submit(request: HttpRequest, slug: str, key: str) -> HttpResponse:
    operation, membership = operation_get_for_user(request.user, slug)
    try:
        services.position_propose(
            operation=operation,
            membership=membership,
            key=key,
            range_min=_percent(request.POST.get("min")),
            range_max=_percent(request.POST.get("max")),
            rationale=request.POST.get("rationale", ""),
        )
    except StoplineError as exc:
        return _error_page(request, exc, _board_url(slug, key))
    messages.success(request, "Your department's position is on the board.")
    return redirect(_board_url(slug, key))


@login_required
@require_POST
def comment_submit(request: HttpRequest, slug: str, key: str) -> HttpResponse:
    operation, membership = operation_get_for_user(request.user, slug)
    try:
        services.comment_add(
            operation=operation, membership=membership, key=key, text=request.POST.get("text", "")
        )
    except StoplineError as exc:
        return _error_page(request, exc, _board_url(slug, key))
    return redirect(_board_url(slug, key))


@login_required
@require_POST
def comment_resolve(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    operation, membership = operation_get_for_user(request.user, slug)
    comment = get_object_or_404(Comment, pk=pk, operation=operation)
    try:
        services.comment_resolve(comment=comment, membership=membership)
    except StoplineError as exc:
        return _error_page(request, exc, _board_url(slug, comment.key))
    return redirect(_board_url(slug, comment.key))


@login_required
@require_POST
def target_submit(request: HttpRequest, slug: str, key: str) -> HttpResponse:
    operation, membership = operation_get_for_user(request.user, slug)
    if key not in IndicatorKey.values:
        raise Http404
    post = request.POST
    recipients = [r.strip() for r in post.get("recipients", "").replace(";", ",").split(",")]
    values = {
        "range_min": _percent(post.get("min")),
        "range_max": _percent(post.get("max")),
        "rule": post.get("rule"),
        "for_days": post.get("for_days") or None,
        "window_days": post.get("window_days") or None,
        "owner": post.get("owner"),
        "review_within_days": post.get("review_within_days"),
        "action": post.get("action", ""),
        "recipients": [r for r in recipients if r],
    }
    try:
        version, changed = services.target_set(
            operation=operation, membership=membership, key=key, values=values
        )
    except StoplineError as exc:
        return _error_page(request, exc, _board_url(slug, key))
    if changed:
        messages.success(request, f"Draft version {version.number} updated.")
    else:
        messages.info(request, "Nothing changed; signatures stay as they are.")
    return redirect(_board_url(slug, key))


@login_required
@require_POST
def version_propose(request: HttpRequest, slug: str) -> HttpResponse:
    operation, membership = operation_get_for_user(request.user, slug)
    try:
        version = services.version_propose(operation=operation, membership=membership)
    except StoplineError as exc:
        return _error_page(request, exc, _board_url(slug))
    messages.success(request, f"Version {version.number} is proposed for signature.")
    return redirect(_board_url(slug))


@login_required
@require_POST
def version_sign(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    operation, membership = operation_get_for_user(request.user, slug)
    fresh = _fresh_login(request)
    password = request.POST.get("password") or None
    try:
        if not fresh and password:
            password_reconfirm(request, request.user, password)  # counted by django-axes
            fresh = True
        signature = services.version_sign(
            operation=operation,
            membership=membership,
            number=number,
            content_hash=request.POST.get("content_hash", ""),
            meaning=request.POST.get("meaning", ""),
            printed_name=request.POST.get("printed_name", ""),
            department_key=request.POST.get("department") or None,
            fresh_login=fresh,
            password=password,
        )
    except StoplineError as exc:
        return _error_page(request, exc, _board_url(slug))
    if request.POST.get("password"):
        request.session[SESSION_AUTH_AT] = signature.signed_at.timestamp()
    messages.success(request, f"Signed version {number} for {signature.department.name}.")
    return redirect(_board_url(slug))


@login_required
@require_GET
def version_list(request: HttpRequest, slug: str) -> HttpResponse:
    operation, membership = operation_get_for_user(request.user, slug)
    page = Paginator(selectors.versions_list(operation), 25).get_page(request.GET.get("page"))
    return render(
        request,
        "criteria/version_list.html",
        {"operation": operation, "membership": membership, "page": page},
    )


@login_required
@require_GET
def version_detail(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    version, membership = version_get_for_user(request.user, slug, number)
    return render(
        request,
        "criteria/version_detail.html",
        {
            "operation": version.operation,
            "version": version,
            "membership": membership,
            "targets": version.targets_in_order(),
            "signatures": version.signatures.select_related("department", "user"),
        },
    )


@login_required
@require_GET
def version_compare(request: HttpRequest, slug: str) -> HttpResponse:
    operation, membership = operation_get_for_user(request.user, slug)
    numbers = list(operation.versions.order_by("number").values_list("number", flat=True))
    try:
        new_n = int(request.GET.get("to") or (numbers[-1] if numbers else 0))
        old_n = int(request.GET.get("from") or (numbers[-2] if len(numbers) > 1 else new_n))
    except ValueError:
        messages.error(request, "Choose two version numbers to compare.")
        return redirect("criteria:version_list", slug=slug)
    old, _ = version_get_for_user(request.user, slug, old_n)
    new, _ = version_get_for_user(request.user, slug, new_n)
    return render(
        request,
        "criteria/version_diff.html",
        {
            "operation": operation,
            "old": old,
            "new": new,
            "numbers": numbers,
            "changes": selectors.version_diff(old, new),
        },
    )


class AuditFilterForm(forms.Form):
    action = forms.CharField(required=False, max_length=50)
    actor = forms.CharField(required=False, max_length=150)
    since = forms.DateField(required=False)
    until = forms.DateField(required=False)
    q = forms.CharField(required=False, max_length=200)


def _audit_filters(request: HttpRequest) -> tuple[AuditFilterForm, dict]:
    form = AuditFilterForm(request.GET)
    return form, (form.cleaned_data if form.is_valid() else {})


@login_required
@require_GET
def audit(request: HttpRequest, slug: str) -> HttpResponse:
    operation, membership = operation_get_for_user(request.user, slug)
    form, filters = _audit_filters(request)
    events = selectors.audit_list(operation, filters)
    page = Paginator(events, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "operation": operation,
        "page": page,
        "form": form,
        "actions": selectors.audit_actions(operation),
        "query": query.urlencode(),
    }
    return render(request, "criteria/audit.html", context)


@login_required
@require_GET
def audit_csv(request: HttpRequest, slug: str) -> HttpResponse:
    """The filtered audit trail as CSV (formula cells escaped), with each event's hash."""
    operation, membership = operation_get_for_user(request.user, slug)
    _, filters = _audit_filters(request)
    events = selectors.audit_list(operation, filters).order_by("id")

    class Echo:
        def write(self, value: str) -> str:
            return value

    writer = SafeWriter(Echo())

    def lines():
        yield writer.writerow(["id", "at_utc", "actor", "action", "version", "summary", "hash"])
        for e in events.iterator(chunk_size=2000):
            yield writer.writerow(
                [
                    e.pk,
                    e.at.strftime("%Y-%m-%dT%H:%M:%SZ"),
                    e.actor.get_username() if e.actor else "system",
                    e.action,
                    "" if e.version_number is None else e.version_number,
                    e.summary,
                    e.event_hash,
                ]
            )

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{slug}-audit.csv"'
    return response


@login_required
@require_GET
def version_yaml(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    version, _ = version_get_for_user(request.user, slug, number)
    response = HttpResponse(version_to_yaml(version), content_type="application/yaml")
    response["Content-Disposition"] = f'attachment; filename="{slug}-v{number}.yaml"'
    return response


@login_required
@require_POST
def criteria_upload(request: HttpRequest, slug: str) -> HttpResponse:
    operation, membership = operation_get_for_user(request.user, slug)
    back = reverse("criteria:operation_detail", args=[slug])
    if not membership.is_facilitator:
        return _error_page(
            request,
            PermissionDenied("Only the facilitator can upload criteria."),
            back,
        )
    upload = request.FILES.get("file")
    if upload is None:
        messages.error(request, "Choose a YAML file to upload.")
        return redirect(back)
    try:
        data = parse_document(upload.read(256 * 1024 + 1))
        if data.get("operation") != operation.slug:
            raise StoplineError(
                f"operation: the file is for {data.get('operation')!r}, not {operation.slug!r}."
            )
        version = services.criteria_import(
            data=data, organization=operation.organization, actor=request.user
        )
    except StoplineError as exc:
        return _error_page(request, exc, back)
    messages.success(request, f"Imported as draft version {version.number}. Nothing was signed.")
    return redirect(back)
