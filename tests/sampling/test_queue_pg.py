"""20 reviewers asking for items at the same moment on PostgreSQL: nobody gets an item twice."""

import threading
from collections import Counter

import pytest
from django.db import connection, connections

from sampling.models import ReviewItem
from sampling.services import review_item_next, review_item_skip, sample_draw
from tests.conftest import make_member, require_or_skip
from tests.sampling.factories import WEEK, plan_set, week_make

pytestmark = [pytest.mark.service, pytest.mark.django_db(transaction=True)]

REVIEWERS = 20


def test_twenty_reviewers_taking_items_concurrently_never_share_one(personas):
    require_or_skip(connection.vendor == "postgresql", "needs PostgreSQL (DATABASE_URL)")
    op = personas.operation
    plan_set(op, per_week=120)
    week_make(op, 150)
    sample_draw(operation=op, week=WEEK)
    total = ReviewItem.objects.count()
    assert total == 132  # 120 + 10 % blind second reviews
    reviewers = [
        make_member(personas.org, f"reviewer{i:02d}", department="cx", role="senior_reviewer")
        for i in range(REVIEWERS)
    ]
    start = threading.Barrier(REVIEWERS)
    taken: dict[int, list[int]] = {r.pk: [] for r in reviewers}
    errors: list[BaseException] = []

    def work(reviewer):
        try:
            start.wait()
            while True:
                item = review_item_next(operation=op, reviewer=reviewer)
                if item is None:
                    return
                taken[reviewer.pk].append(item.pk)
                # Done with it (skipped keeps the test about the queue, not the rubric).
                review_item_skip(item=item, reviewer=reviewer, reason="load test")
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work, args=(r,)) for r in reviewers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    everything = [pk for pks in taken.values() for pk in pks]
    assert len(everything) == len(set(everything)) == total  # each item exactly once
    assert sum(1 for pks in taken.values() if pks) > 1  # the work was really shared
    rows = ReviewItem.objects.values_list("pk", "assigned_to_id", "status")
    owner = {pk: reviewer for reviewer, pks in taken.items() for pk in pks}
    assert all(owner[pk] == assigned and status == "skipped" for pk, assigned, status in rows)
    # Blind double review: both items of a conversation never went to the same reviewer.
    pairs = Counter(ReviewItem.objects.values_list("conversation_id", "assigned_to_id"))
    assert max(pairs.values()) == 1
