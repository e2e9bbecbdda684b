from django.urls import path

from guardrails import ofrep

urlpatterns = [
    path("evaluate/flags", ofrep.evaluate_flags, name="ofrep_evaluate_flags"),
    path("evaluate/flags/<str:key>", ofrep.evaluate_flag, name="ofrep_evaluate_flag"),
    path("event-stream", ofrep.event_stream, name="ofrep_event_stream"),
]
