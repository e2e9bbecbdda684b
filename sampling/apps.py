from django.apps import AppConfig


class SamplingConfig(AppConfig):
    name = "sampling"

    def ready(self) -> None:
        # Metrics cannot import sampling (dependencies point one way), so sampling hands its
        # redacting transcript store to metrics' ingestion hook here.
        from metrics.ingest.transcripts import transcript_handler_register
        from sampling.transcripts import transcript_store_for

        transcript_handler_register(transcript_store_for)
