"""Webhook endpoints (secret shown once, test event) and the delivery log with retry.
The facilitator edits; every other member of the organization reads."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.access import membership_can_manage_settings
from accounts.errors import StoplineError
from accounts.http import HtmxHttpRequest
from criteria.access import operation_get_for_user
from outbox.access import endpoint_get_for_operation
from outbox.endpoints import (
    delivery_retry,
    webhook_endpoint_create,
    webhook_endpoint_delete,
    webhook_endpoint_set_active,
    webhook_endpoint_test,
)
from outbox.forms import WebhookEndpointForm
from outbox.models import Delivery
from outbox.selectors import deliveries_for_operation, endpoints_for_operation
from outbox.signing import REPLAY_WINDOW_SECONDS

DELIVERIES_PER_PAGE = 50


@login_required
@require_http_methods(["GET", "POST"])
def webhooks(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    operation, membership = operation_get_for_user(request.user, slug)
    can_manage = membership_can_manage_settings(membership)
    form = WebhookEndpointForm()
    context = {"operation": operation, "membership": membership, "can_manage": can_manage}
    status = 200
    if request.method == "POST":
        if not can_manage:
            raise PermissionDenied
        form = WebhookEndpointForm(request.POST)
        if form.is_valid():
            try:
                endpoint, secret = webhook_endpoint_create(
                    operation=operation, actor=request.user, **form.cleaned_data
                )
            except StoplineError as exc:
                form.add_error(None, exc.message)
                status = 400
            else:
                context.update(new_endpoint=endpoint, new_secret=secret)
                form = WebhookEndpointForm()
                status = 201
        else:
            status = 400
    context.update(
        form=form,
        endpoints=endpoints_for_operation(operation),
        replay_window=REPLAY_WINDOW_SECONDS // 60,
    )
    response = render(request, "outbox/webhooks.html", context, status=status)
    if status == 201:
        response["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
def webhook_action(request: HtmxHttpRequest, slug: str, endpoint_id: int, action: str):
    operation, membership = operation_get_for_user(request.user, slug)
    endpoint = endpoint_get_for_operation(operation, endpoint_id)
    if not membership_can_manage_settings(membership):
        raise PermissionDenied
    back = reverse("outbox:webhooks", args=[slug])
    if action == "test":
        webhook_endpoint_test(endpoint=endpoint, actor=request.user)
        messages.success(request, f"Test event queued for {endpoint.url}; see the delivery log.")
    elif action in ("enable", "disable"):
        webhook_endpoint_set_active(
            endpoint=endpoint, actor=request.user, active=action == "enable"
        )
        messages.success(request, f"Endpoint {action}d.")
    elif action == "delete":
        webhook_endpoint_delete(endpoint=endpoint, actor=request.user)
        messages.success(request, "Endpoint removed.")
    else:
        raise Http404
    return redirect(back)


@login_required
@require_GET
def deliveries(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    operation, membership = operation_get_for_user(request.user, slug)
    status = request.GET.get("status", "")
    if status not in Delivery.Status.values:
        status = ""
    page = Paginator(deliveries_for_operation(operation, status), DELIVERIES_PER_PAGE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "outbox/deliveries.html",
        {
            "operation": operation,
            "membership": membership,
            "page": page,
            "status": status,
            "statuses": Delivery.Status.choices,
            "can_manage": membership_can_manage_settings(membership),
        },
    )


@login_required
@require_POST
def delivery_retry_view(request: HtmxHttpRequest, slug: str, delivery_id: int) -> HttpResponse:
    operation, membership = operation_get_for_user(request.user, slug)
    try:
        delivery = Delivery.objects.select_related("event__operation", "endpoint").get(
            pk=delivery_id, event__operation=operation
        )
    except Delivery.DoesNotExist as exc:
        raise Http404 from exc
    if not membership_can_manage_settings(membership):
        raise PermissionDenied
    back = reverse("outbox:deliveries", args=[slug])
    try:
        delivery_retry(delivery=delivery, actor=request.user)
    except StoplineError as exc:
        if request.htmx:
            return _delivery_row(request, operation, delivery.pk)
        messages.error(request, exc.message)
        return redirect(back)
    if request.htmx:
        return _delivery_row(request, operation, delivery.pk)
    messages.success(request, f"Delivery to {delivery.target} queued again.")
    return redirect(back)


def _delivery_row(request: HtmxHttpRequest, operation, delivery_id: int) -> HttpResponse:
    """The log's row of one delivery, as it is now (the htmx answer to a retry)."""
    delivery = Delivery.objects.select_related("event", "endpoint").get(pk=delivery_id)
    return render(
        request,
        "outbox/partials/_delivery_row.html",
        {"d": delivery, "operation": operation, "can_manage": True},
    )
