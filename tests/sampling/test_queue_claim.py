"""The queue's "next item" rules, on SQLite (step by step) and PostgreSQL (one statement)."""

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from sampling.models import ReviewItem, SamplingSettings
from sampling.services import review_item_next, review_item_skip, sample_draw
from tests.conftest import make_member
from tests.sampling.factories import WEEK, plan_set, week_make

pytestmark = pytest.mark.django_db


@pytest.fixture
def draw(personas):
    plan_set(personas.operation, per_week=10)
    week_make(personas.operation, 30)
    return sample_draw(operation=personas.operation, week=WEEK)


@pytest.fixture
def other_reviewer(personas):
    return make_member(personas.org, "second_reviewer", department="cx", role="senior_reviewer")


def test_asking_again_gives_the_same_item_until_it_is_done(personas, draw):
    first = review_item_next(operation=personas.operation, reviewer=personas.reviewer)
    again = review_item_next(operation=personas.operation, reviewer=personas.reviewer)
    assert again.pk == first.pk
    assert ReviewItem.objects.filter(assigned_to=personas.reviewer).count() == 1
    review_item_skip(item=first, reviewer=personas.reviewer, reason="empty")
    nxt = review_item_next(operation=personas.operation, reviewer=personas.reviewer)
    assert nxt.pk != first.pk


def test_items_come_in_due_order_and_the_reservation_lasts_the_operation_setting(personas, draw):
    SamplingSettings.objects.create(operation=personas.operation, reservation_minutes=45)
    now = timezone.now()
    item = review_item_next(operation=personas.operation, reviewer=personas.reviewer, now=now)
    first_due = ReviewItem.objects.order_by("due", "is_double", "id").first()
    assert item.pk == first_due.pk
    item.refresh_from_db()
    assert item.status == "reserved" and item.assigned_to == personas.reviewer
    assert item.reserved_until == now + timedelta(minutes=45)


def test_an_expired_reservation_goes_to_the_next_reviewer_a_live_one_does_not(
    personas, draw, other_reviewer
):
    ReviewItem.objects.exclude(pk=ReviewItem.objects.order_by("id").first().pk).delete()
    now = timezone.now()
    held = review_item_next(operation=personas.operation, reviewer=personas.reviewer, now=now)
    assert review_item_next(operation=personas.operation, reviewer=other_reviewer, now=now) is None
    later = now + timedelta(minutes=31)  # the default reservation is 30 minutes
    taken = review_item_next(operation=personas.operation, reviewer=other_reviewer, now=later)
    assert taken.pk == held.pk and taken.assigned_to_id == other_reviewer.pk
    assert ReviewItem.objects.get(pk=held.pk).assigned_to == other_reviewer


def test_both_reviews_of_a_conversation_never_go_to_one_reviewer(personas, draw):
    double = ReviewItem.objects.filter(is_double=True).first()
    # Only one conversation's two items are left: the first review, then its blind second.
    ReviewItem.objects.exclude(conversation_id=double.conversation_id).delete()
    first = review_item_next(operation=personas.operation, reviewer=personas.reviewer)
    review_item_skip(item=first, reviewer=personas.reviewer, reason="done")
    assert review_item_next(operation=personas.operation, reviewer=personas.reviewer) is None
    assert ReviewItem.objects.filter(assigned_to__isnull=True).count() == 1


def test_items_of_another_operation_are_never_handed_out(personas, draw):
    other = personas.other_operation
    assert review_item_next(operation=other, reviewer=personas.reviewer) is None
    assert not ReviewItem.objects.filter(assigned_to=personas.reviewer).exists()


def test_an_empty_pool_gives_none(personas):
    assert review_item_next(operation=personas.operation, reviewer=personas.reviewer) is None


def test_the_claim_is_one_round_trip_on_postgresql(
    personas, draw, django_assert_num_queries, django_assert_max_num_queries
):
    """One UPDATE ... RETURNING (no BEGIN/COMMIT, no settings read) whatever the pool holds;
    SQLite, without row locks, reads and writes step by step in a bounded number."""
    if connection.vendor == "postgresql":
        with django_assert_num_queries(1):
            item = review_item_next(operation=personas.operation, reviewer=personas.reviewer)
        with django_assert_num_queries(1):
            assert (
                review_item_next(operation=personas.operation, reviewer=personas.reviewer) == item
            )
    else:
        with django_assert_max_num_queries(6):
            item = review_item_next(operation=personas.operation, reviewer=personas.reviewer)
    assert item is not None and item.status == "reserved"
