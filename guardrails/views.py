"""The guardrails page: the flags the AI platform reads, the emergency stop and resume, the
pause history, and the operation's OFREP keys (htmx; works without JavaScript)."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from accounts.access import membership_can_manage_settings
from accounts.errors import StoplineError
from accounts.http import HtmxHttpRequest
from criteria.access import operation_get_for_user
from guardrails.access import membership_can_stop, owning_departments
from guardrails.flags import FLAG_HELP, flags_evaluate
from guardrails.forms import FlagKeyForm, PauseForm
from guardrails.models import FlagKey, Pause
from guardrails.selectors import flag_keys_for_operation, pauses_history
from guardrails.services import flag_key_create, flag_key_revoke, pause_end, pause_start


def _page(request: HtmxHttpRequest, operation, membership, *, status: int = 200, **extra):
    flags = flags_evaluate(operation)
    context = {
        "operation": operation,
        "membership": membership,
        "flags": [(flag, FLAG_HELP[key]) for key, flag in flags.items()],
        "standing": [p for p in pauses_history(operation) if p.is_standing],
        "history": pauses_history(operation),
        "keys": flag_keys_for_operation(operation),
        "can_stop": membership_can_stop(membership, operation),
        "can_manage": membership_can_manage_settings(membership),
        "owners": owning_departments(operation),
        "ofrep_base": settings.SITE_URL.rstrip("/"),
        "pause_form": extra.pop("pause_form", None) or PauseForm(),
        **extra,
    }
    return render(request, "guardrails/state.html", context, status=status)


def _refused(request, exc: StoplineError, back: str) -> HttpResponse:
    if exc.status == 400:
        messages.error(request, exc.message)
        return redirect(back)
    return render(
        request,
        "criteria/error.html",
        {"message": exc.message, "back": back, "status": exc.status},
        status=exc.status,
    )


@login_required
@require_GET
def state(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    operation, membership = operation_get_for_user(request.user, slug)
    if request.htmx:
        # The flags table refreshes itself (a pause decided elsewhere shows within seconds).
        flags = flags_evaluate(operation)
        return render(
            request,
            "guardrails/partials/_flags.html",
            {"operation": operation, "flags": [(f, FLAG_HELP[k]) for k, f in flags.items()]},
        )
    return _page(request, operation, membership)


@login_required
@require_POST
def stop(request: HtmxHttpRequest, slug: str, action: str) -> HttpResponse:
    """Emergency stop (action "pause") or resume, for a segment, with a reason."""
    operation, membership = operation_get_for_user(request.user, slug)
    back = reverse("guardrails:state", args=[slug])
    if action not in ("pause", "resume"):
        raise Http404
    if not membership_can_stop(membership, operation):
        raise PermissionDenied
    form = PauseForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose a segment and say why.")
        return _page(request, operation, membership, status=400, pause_form=form)
    segment, reason = form.cleaned_data["segment"], form.cleaned_data["reason"]
    try:
        if action == "pause":
            pause, created = pause_start(
                operation=operation,
                segment=segment,
                reason=reason,
                source=Pause.Source.EMERGENCY,
                membership=membership,
            )
            messages.success(
                request,
                "The AI is paused for " + pause.get_segment_display().lower() + "."
                if created
                else "A pause stands already for this segment; it stays as it was.",
            )
        else:
            pause_end(operation=operation, segment=segment, reason=reason, membership=membership)
            messages.success(request, "The AI is resumed.")
    except StoplineError as exc:
        return _refused(request, exc, back)
    return redirect(back)


@login_required
@require_POST
def key_create(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    operation, membership = operation_get_for_user(request.user, slug)
    if not membership_can_manage_settings(membership):
        raise PermissionDenied
    form = FlagKeyForm(request.POST)
    form.is_valid()
    key, token = flag_key_create(
        operation=operation, name=form.cleaned_data.get("name", ""), actor=request.user
    )
    # Shown in this answer only: the key is not stored and this page is not cached.
    response = _page(request, operation, membership, status=201, new_key=key, new_token=token)
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
def key_revoke(request: HtmxHttpRequest, slug: str, key_id: int) -> HttpResponse:
    operation, membership = operation_get_for_user(request.user, slug)
    if not membership_can_manage_settings(membership):
        raise PermissionDenied
    try:
        key = FlagKey.objects.select_related("operation").get(pk=key_id, operation=operation)
    except FlagKey.DoesNotExist as exc:
        raise Http404 from exc
    back = reverse("guardrails:state", args=[slug])
    try:
        key = flag_key_revoke(key=key, actor=request.user)
    except StoplineError as exc:
        return _refused(request, exc, back)
    if request.htmx:
        return render(
            request,
            "guardrails/partials/_key_row.html",
            {"k": key, "operation": operation, "can_manage": True},
        )
    messages.success(request, f"Key “{key.name}” revoked: clients using it get 401 from now on.")
    return redirect(back)
