"""The pages' cached parts, kept in the shared cache and, in front of it, in the process.

The dashboard's body is ~370 KB for a year: reading it from Redis on every view cost ~0.8 ms
of CPU in the web process (and Redis's own, on the same machine), more than the rest of the
view. Each web process therefore keeps the entries it read lately in its memory too.

This cannot serve stale pages longer than the shared cache does by more than a minute: every
key carries the operation's data version (config/freshness.py), which the request reads from
the shared cache each time, so a change makes a new key and the process's copy is never read
again. Only a change that bypasses the services (which shows after
``STOPLINE_PAGE_CACHE_SECONDS`` anyway) may take up to ``LOCAL_SECONDS`` longer. Entries are
what every reader of the operation may see (the views check access first and draw the
reader's own parts outside them), as for the shared cache.
"""

import threading
import time
from collections import OrderedDict
from typing import Any

from django.conf import settings
from django.core.cache import cache

LOCAL_ENTRIES = 64  # a few operations' dashboards and boards: ~25 MB at most
LOCAL_SECONDS = 60.0

_local: OrderedDict[str, tuple[float, Any]] = OrderedDict()
_lock = threading.Lock()


def page_cache_get(key: str) -> Any:
    """The entry under `key`, from the process's memory if it read it lately, else the
    shared cache's; None when neither has it."""
    now = time.monotonic()
    with _lock:
        hit = _local.get(key)
        if hit is not None and hit[0] > now:
            _local.move_to_end(key)
            return hit[1]
    value = cache.get(key)
    if value is not None:
        _remember(key, value, now)
    return value


def page_cache_set(key: str, value: Any) -> None:
    cache.set(key, value, settings.STOPLINE_PAGE_CACHE_SECONDS)
    _remember(key, value, time.monotonic())


def page_cache_clear_local() -> None:
    """Forget the process's copies (tests: each starts with empty caches)."""
    with _lock:
        _local.clear()


def _remember(key: str, value: Any, now: float) -> None:
    lifetime = min(LOCAL_SECONDS, settings.STOPLINE_PAGE_CACHE_SECONDS)
    with _lock:
        _local[key] = (now + lifetime, value)
        _local.move_to_end(key)
        while len(_local) > LOCAL_ENTRIES:
            _local.popitem(last=False)
