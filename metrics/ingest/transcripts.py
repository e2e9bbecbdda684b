"""Where transcripts go during ingestion: a hook that the sampling app fills.

Metrics must not import sampling (dependencies point one way: sampling imports metrics), yet
transcripts arrive with the conversations. So metrics exposes this registry and sampling
registers its redacting transcript store in ``SamplingConfig.ready()``. Without a registered
handler, transcripts are dropped: never stored, never logged.

A handler is called once per ingestion run with the operation and returns a sink:

- ``sink.prepare(messages, language=...)`` is called for every accepted row right after it
  is checked, before anything is written; it must remove personal data there and return what
  ``store`` needs (so raw text lives only in the row being read);
- ``sink.store(prepared_by_conversation_pk)`` is called inside the chunk's transaction, after
  the conversations are upserted, with the prepared transcripts keyed by conversation pk.
"""

from collections.abc import Callable
from typing import Any, Protocol

from criteria.models import Operation


class TranscriptSink(Protocol):
    def prepare(self, messages: list[dict[str, Any]], *, language: str) -> Any: ...

    def store(self, prepared: dict[int, Any]) -> None: ...


TranscriptHandler = Callable[[Operation], TranscriptSink]

_handler: TranscriptHandler | None = None


def transcript_handler_register(handler: TranscriptHandler | None) -> None:
    """Set (or with None, clear) the one transcript handler."""
    global _handler
    _handler = handler


def transcript_sink_for(operation: Operation) -> TranscriptSink | None:
    return _handler(operation) if _handler is not None else None
