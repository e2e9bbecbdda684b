"""Reasons for a cautious handoff mode, supplied by apps above this one.

Guardrails sit below metrics (metrics calls guardrails when a review decides a pause), so
they cannot ask metrics about open alerts. Instead metrics registers a source here when it
starts (metrics.apps); each source returns the reason to be cautious, or None.
"""

from collections.abc import Callable

from criteria.models import Operation

CautionSource = Callable[[Operation], str | None]
_sources: list[CautionSource] = []


def caution_source_register(source: CautionSource) -> CautionSource:
    if source not in _sources:
        _sources.append(source)
    return source


def caution_reasons(operation: Operation) -> list[str]:
    return [reason for source in _sources if (reason := source(operation))]
