"""A version token per operation for pages that cache what changes once a day.

The dashboard and the workshop board cache their expensive parts (charts, indicator series,
backtests) under a key that includes :func:`operation_version`. Services that change what
those pages show call :func:`operation_changed` (ingestion finished, alerts opened or acted
on, criteria written through ``audit_record``, review scores recorded), and so does the
admin of the models those pages show (:class:`PageDataAdmin`). Entries also expire after
``STOPLINE_PAGE_CACHE_SECONDS``: a write that bypasses both (a shell, SQL) shows after that at
the latest.

The token lives in Django's default cache, which must be shared by every process (Redis in
production, see ``CACHES`` in settings); without it a worker's change would not reach the web
processes. A token lost to eviction reads as a new one: the pages recompute, never go stale.
"""

import uuid

from django.core.cache import cache
from django.db import transaction

PREFIX = "opver"


def _key(operation_id: int) -> str:
    return f"{PREFIX}:{operation_id}"


def operation_version(operation_id: int) -> str:
    """The operation's current data token (a short random string)."""
    token = cache.get(_key(operation_id))
    if token is None:
        fresh = uuid.uuid4().hex[:12]
        # add: two processes starting at once agree on the first one written.
        cache.add(_key(operation_id), fresh, timeout=None)
        token = cache.get(_key(operation_id)) or fresh
    return token


def operation_changed(operation_id: int) -> None:
    """Say the operation's data changed: cached pages of it are recomputed.

    The token changes at once and again when the transaction commits: a page read between the
    two (from data not committed yet) is cached under a token nobody asks for any more.
    """

    def bump() -> None:
        cache.set(_key(operation_id), uuid.uuid4().hex[:12], timeout=None)

    bump()
    transaction.on_commit(bump)


class PageDataAdmin:
    """For the admin of a model the cached pages show: a change made in the admin shows on the
    next view, as one made through the services does, instead of after
    STOPLINE_PAGE_CACHE_SECONDS. ``operation_field`` names the model's operation id."""

    operation_field = "operation_id"

    def _operations_changed(self, operation_ids) -> None:
        for operation_id in set(operation_ids) - {None}:
            operation_changed(operation_id)

    def save_model(self, request, obj, form, change) -> None:
        super().save_model(request, obj, form, change)
        self._operations_changed([getattr(obj, self.operation_field)])

    def delete_model(self, request, obj) -> None:
        operation_id = getattr(obj, self.operation_field)
        super().delete_model(request, obj)
        self._operations_changed([operation_id])

    def delete_queryset(self, request, queryset) -> None:
        operation_ids = list(queryset.values_list(self.operation_field, flat=True).distinct())
        super().delete_queryset(request, queryset)
        self._operations_changed(operation_ids)
