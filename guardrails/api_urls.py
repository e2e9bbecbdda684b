from django.urls import path

from guardrails import api

urlpatterns = [
    path(
        "operations/<slug:slug>/guardrails/",
        api.GuardrailStateView.as_view(),
        name="api-guardrails",
    ),
    path(
        "operations/<slug:slug>/guardrails/pause/",
        api.GuardrailPauseView.as_view(),
        name="api-guardrails-pause",
    ),
    path(
        "operations/<slug:slug>/guardrails/resume/",
        api.GuardrailResumeView.as_view(),
        name="api-guardrails-resume",
    ),
]
