"""The process's copies of cached page parts: bounded, short-lived, and never a reason for a
page to miss a change (keys carry the operation's data version)."""

import pytest
from django.core.cache import cache

from config import page_cache
from config.freshness import operation_changed, operation_version
from config.page_cache import page_cache_get, page_cache_set


@pytest.fixture
def clock(monkeypatch):
    now = [1000.0]
    monkeypatch.setattr(page_cache.time, "monotonic", lambda: now[0])
    return now


def test_a_copy_is_served_for_a_minute_at_most(clock):
    page_cache_set("k", "drawn")
    cache.delete("k")  # gone from the shared cache (expired, evicted, cleared)
    assert page_cache_get("k") == "drawn"
    clock[0] += page_cache.LOCAL_SECONDS + 1
    assert page_cache_get("k") is None


def test_a_copy_read_from_the_shared_cache_is_kept(clock):
    cache.set("k", "drawn elsewhere")
    assert page_cache_get("k") == "drawn elsewhere"
    cache.set("k", "changed behind its back")
    assert page_cache_get("k") == "drawn elsewhere"  # the process's copy, for a minute


def test_the_process_keeps_a_bounded_number(clock):
    for i in range(page_cache.LOCAL_ENTRIES + 10):
        page_cache_set(f"k{i}", i)
    assert len(page_cache._local) == page_cache.LOCAL_ENTRIES
    cache.clear()
    assert page_cache_get("k0") is None  # the oldest went first
    assert page_cache_get(f"k{page_cache.LOCAL_ENTRIES + 9}") == page_cache.LOCAL_ENTRIES + 9


@pytest.mark.django_db
def test_a_change_makes_a_new_key_the_copy_is_not_read(personas):
    op = personas.operation
    before = f"page:{op.pk}:{operation_version(op.pk)}"
    page_cache_set(before, "old page")
    operation_changed(op.pk)
    after = f"page:{op.pk}:{operation_version(op.pk)}"
    assert after != before and page_cache_get(after) is None
