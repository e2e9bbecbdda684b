from django.apps import AppConfig


class MetricsConfig(AppConfig):
    name = "metrics"

    def ready(self) -> None:
        # Guardrails sit below metrics; metrics tells them when to be cautious.
        from guardrails.caution import caution_source_register
        from metrics.caution import escalation_caution

        caution_source_register(escalation_caution)
