"""Review settings in the app (no /admin/): the sampling plan's targeted rules, the rubric's
items, the "asked for a human" phrases. Every member of the organization reads the page; the
facilitator changes it (others get 403); every change is audited."""

from django import forms
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
from sampling.models import HandoffPhrases
from sampling.services import TARGETED_STRATA, rubric_for, sampling_plan_for
from sampling.settings_services import (
    ADDABLE_TYPES,
    CORE_ITEMS,
    handoff_phrases_set,
    phrases_text,
    rubric_item_add,
    rubric_item_label_set,
    rubric_item_remove,
    sampling_rules_set,
)
from sampling.transcripts import settings_for

RULE_LABELS = {
    "asked_not_escalated": "Asked for a human but not escalated",
    "low_csat": "Low CSAT",
    "long_or_looping": "Long or looping conversations",
}


class PlanForm(forms.Form):
    targeted_share = forms.FloatField(min_value=0, max_value=80, help_text="% of the week")
    targeted_strata = forms.MultipleChoiceField(
        choices=[(s, RULE_LABELS[s]) for s in TARGETED_STRATA],
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    low_csat_max = forms.IntegerField(min_value=1, max_value=4)
    long_turns = forms.IntegerField(min_value=2, max_value=500)
    double_review_share = forms.FloatField(min_value=0, max_value=100, help_text="%")
    review_sla_days = forms.IntegerField(min_value=1, max_value=60)


class RubricItemForm(forms.Form):
    label = forms.CharField(max_length=200)
    type = forms.ChoiceField(choices=list(ADDABLE_TYPES.items()), required=False)


class PhrasesForm(forms.Form):
    phrases = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 5}))


def _url(slug: str) -> str:
    return reverse("sampling:settings", args=[slug])


def _page(request, operation, membership, *, status: int = 200, **forms_):
    settings = settings_for(operation)
    plan = sampling_plan_for(operation)
    org_row = HandoffPhrases.objects.filter(organization=operation.organization).first()
    org_phrases = org_row.phrases if org_row else {}
    initial_plan = {
        "targeted_share": round(settings.targeted_share * 100, 1),
        "targeted_strata": settings.targeted_strata or list(TARGETED_STRATA),
        "low_csat_max": settings.low_csat_max,
        "long_turns": settings.long_turns,
        "double_review_share": round(settings.double_review_share * 100, 1),
        "review_sla_days": settings.review_sla_days,
    }
    random_size = plan.per_week - int(plan.per_week * plan.targeted_share)
    context = {
        "operation": operation,
        "membership": membership,
        "can_manage": membership_can_manage_settings(membership),
        "plan": plan,
        "sizes": {
            "targeted_at_most": int(plan.per_week * plan.targeted_share),
            "random_complex": round(random_size * plan.complex_share),
            "random_simple": random_size - round(random_size * plan.complex_share),
        },
        "rules_in_use": [RULE_LABELS[s] for s in plan.targeted],
        "plan_form": forms_.get("plan_form") or PlanForm(initial=initial_plan),
        "items": rubric_for(operation.organization).items,
        "core_items": CORE_ITEMS,
        "item_form": forms_.get("item_form") or RubricItemForm(),
        "org_phrases_form": forms_.get("org_phrases_form")
        or PhrasesForm(
            initial={"phrases": phrases_text(org_phrases.phrases if org_phrases else {})}
        ),
        "op_phrases_form": forms_.get("op_phrases_form")
        or PhrasesForm(initial={"phrases": phrases_text(settings.extra_handoff_phrases or {})}),
    }
    return render(request, "sampling/settings.html", context, status=status)


def _writable(request, slug: str):
    operation, membership = operation_get_for_user(request.user, slug)
    if not membership_can_manage_settings(membership):
        raise PermissionDenied
    return operation, membership


def _failed(request, operation, membership, exc: StoplineError, **forms_) -> HttpResponse:
    messages.error(request, exc.message)
    return _page(request, operation, membership, status=exc.status, **forms_)


@login_required
@require_GET
def settings_page(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    operation, membership = operation_get_for_user(request.user, slug)
    return _page(request, operation, membership)


@login_required
@require_POST
def plan_set(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    operation, membership = _writable(request, slug)
    form = PlanForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Some values are out of bounds.")
        return _page(request, operation, membership, status=400, plan_form=form)
    data = form.cleaned_data
    try:
        sampling_rules_set(
            operation=operation,
            membership=membership,
            targeted_share=data["targeted_share"] / 100,
            targeted_strata=data["targeted_strata"],
            low_csat_max=data["low_csat_max"],
            long_turns=data["long_turns"],
            double_review_share=data["double_review_share"] / 100,
            review_sla_days=data["review_sla_days"],
        )
    except StoplineError as exc:
        return _failed(request, operation, membership, exc, plan_form=form)
    messages.success(request, "Sampling plan saved: the next weekly draw uses it.")
    return redirect(_url(slug))


@login_required
@require_POST
def rubric_item(request: HtmxHttpRequest, slug: str, action: str) -> HttpResponse:
    operation, membership = _writable(request, slug)
    key = request.POST.get("key", "")
    form = RubricItemForm(request.POST)
    try:
        if action == "add":
            if not form.is_valid():
                raise StoplineError("Give the new item a label and a type.")
            rubric_item_add(
                operation=operation,
                membership=membership,
                label=form.cleaned_data["label"],
                type=form.cleaned_data["type"],
            )
        elif action == "label":
            rubric_item_label_set(
                operation=operation,
                membership=membership,
                key=key,
                label=request.POST.get("label", ""),
            )
        elif action == "remove":
            rubric_item_remove(operation=operation, membership=membership, key=key)
        else:
            raise Http404
    except StoplineError as exc:
        return _failed(request, operation, membership, exc)
    messages.success(request, "Rubric saved (for every operation of the organization).")
    return redirect(_url(slug) + "#rubric")


@login_required
@require_POST
def phrases_set(request: HtmxHttpRequest, slug: str, scope: str) -> HttpResponse:
    operation, membership = _writable(request, slug)
    if scope not in ("organization", "operation"):
        raise Http404
    form = PhrasesForm(request.POST)
    form.is_valid()
    try:
        handoff_phrases_set(
            operation=operation,
            membership=membership,
            scope=scope,
            text=form.cleaned_data.get("phrases", ""),
        )
    except StoplineError as exc:
        key = "org_phrases_form" if scope == "organization" else "op_phrases_form"
        return _failed(request, operation, membership, exc, **{key: form})
    messages.success(request, "Phrases saved: transcripts ingested from now on use them.")
    return redirect(_url(slug) + "#phrases")
