"""The indicator diagnostic page: open to anyone, saving needs a facilitator."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from accounts.access import memberships_for_user
from accounts.errors import StoplineError
from criteria import services
from criteria.diagnostic import CATALOGUE, VERDICT_TEXT, diagnose


def _custom(request: HttpRequest, source) -> list[str]:
    return [line for line in source.get("custom", "").splitlines() if line.strip()][:10]


@require_GET
def diagnostic(request: HttpRequest) -> HttpResponse:
    keys = request.GET.getlist("tracked")
    custom = _custom(request, request.GET)
    result = diagnose(keys, custom) if (keys or custom) else None
    facilitator_of = [m for m in memberships_for_user(request.user) if m.is_facilitator]
    return render(
        request,
        "criteria/diagnostic.html",
        {
            "catalogue": CATALOGUE,
            "selected": set(keys),
            "custom_text": request.GET.get("custom", ""),
            "result": result,
            "verdicts": VERDICT_TEXT,
            "facilitator_of": facilitator_of,
        },
    )


@login_required
@require_POST
def diagnostic_save(request: HttpRequest) -> HttpResponse:
    memberships = {str(m.organization_id): m for m in memberships_for_user(request.user)}
    membership = memberships.get(request.POST.get("organization", ""))
    back = reverse("criteria:diagnostic")
    if membership is None:
        messages.error(request, "Choose one of your organizations.")
        return redirect(back)
    try:
        operation = services.diagnostic_save(
            membership=membership,
            title=request.POST.get("title", ""),
            slug=request.POST.get("slug", ""),
            keys=request.POST.getlist("tracked"),
            custom=_custom(request, request.POST),
        )
    except StoplineError as exc:
        if exc.status == 403:
            return render(
                request,
                "criteria/error.html",
                {"message": exc.message, "back": back, "status": 403},
                status=403,
            )
        messages.error(request, exc.message)
        return redirect(back)
    messages.success(request, "Saved as the first draft of the operation's criteria.")
    return redirect("criteria:board", slug=operation.slug)
