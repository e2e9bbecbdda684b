"""The reviewer queue at scale: "next item" with 1M review items and 20 reviewers at once.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/stopline python -m bench.queue \\
        [--items 1000000] [--reviewers 20] [--rounds 40] [--smoke]

Seeds a scratch database (<name>_queue, dropped afterwards) with generate_series: one
operation, a year of weekly draws holding --items review items (10 % of them blind second
reviews), the older 85 % done by the reviewers, the rest waiting in the pool. Then
--reviewers processes (one per reviewer, each with its own connection) start together and each
asks for the next item --rounds times through the service the page calls
(``sampling.services.review_item_next``, SELECT ... FOR UPDATE SKIP LOCKED), finishing each
item before asking again: first back to back (the worst case: 20 requests always in flight),
then pausing ~--think-ms between items as people reading a transcript do. Measured per call,
in the reviewer's process. The baseline of the
same run: the same processes reading one review item by primary key through the ORM.
Afterwards every handed-out item is checked: no item went to two reviewers, and no reviewer
got both reviews of one conversation. Last, a second, small operation in the same database (a
pool due later than the large one's): one reviewer takes its next item --rounds times, which
must not walk the large operation's pool.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import sys
import tempfile
import time

from bench.common import Figure, figures_write, machine, percentile, scratch_database, table

P95_TARGET_MS = 30.0
WEEKS = 52
DONE_SHARE = 0.85


def _seed(items: int, reviewers: int) -> tuple[int, list[int]]:
    from django.contrib.auth import get_user_model
    from django.db import connection

    from accounts.models import Membership
    from accounts.services import organization_ensure
    from criteria.services import operation_create

    org = organization_ensure(slug="bench", name="Bench")
    operation = operation_create(organization=org, slug="bench", title="Bench")
    users = []
    for i in range(reviewers):
        user = get_user_model().objects.create_user(username=f"reviewer{i}")
        Membership.objects.create(user=user, organization=org, role="senior_reviewer")
        users.append(user.pk)
    singles = items - items // 10
    per_week = -(-singles // WEEKS)
    done_below = int(singles * DONE_SHARE)
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO metrics_conversation (operation_id, conversation_id, started_at, "
            "local_date, complexity, escalated, channel, language, topic, survey_comment, "
            "metadata) SELECT %s, 'c' || i, now() - interval '1 day' * (i %% 365), "
            "current_date - (i %% 365), CASE WHEN i %% 3 = 0 THEN 'complex' ELSE 'simple' END, "
            "i %% 7 = 0, 'chat', 'en', 'order_status', '', '{}' "
            "FROM generate_series(1, %s) AS i",
            [operation.pk, singles],
        )
        cursor.execute(
            "INSERT INTO sampling_samplingdraw (operation_id, week, week_start, seed, strata, "
            "double_review_share, created_at) SELECT %s, 'W' || w, "
            "current_date - 7 * (%s - w), w, '{}', 0.1, now() FROM generate_series(0, %s) AS w",
            [operation.pk, WEEKS, WEEKS - 1],
        )
        cursor.execute("SELECT min(id) FROM metrics_conversation")
        first_conversation = cursor.fetchone()[0]
        cursor.execute(
            "SELECT min(id) FROM sampling_samplingdraw WHERE operation_id = %s", [operation.pk]
        )
        first_draw = cursor.fetchone()[0]
        # Item k reviews conversation k (k < singles); the next items/10 review conversations
        # 0, 9, 18, ... a second time, blind. Old weeks are done, spread over the reviewers.
        cursor.execute(
            "INSERT INTO sampling_reviewitem (operation_id, draw_id, conversation_id, stratum, "
            "inclusion_probability, is_double, assigned_to_id, reserved_until, status, "
            "skip_reason, due, created_at, done_at) "
            "SELECT %(operation)s, %(draw)s + c / %(per_week)s, %(conv)s + c, 'simple', 0.01, d, "
            "CASE WHEN c < %(done)s AND NOT d THEN (%(users)s::bigint[])[1 + c %% %(n)s] END, "
            "NULL, CASE WHEN c < %(done)s AND NOT d THEN 'done' ELSE 'pending' END, '', "
            "current_date - 7 * (%(weeks)s - c / %(per_week)s) + 10, now(), "
            "CASE WHEN c < %(done)s AND NOT d THEN now() END "
            "FROM (SELECT i AS c, false AS d FROM generate_series(0, %(singles)s - 1) AS i "
            "UNION ALL SELECT i * %(stride)s, true "
            "FROM generate_series(0, %(doubles)s - 1) AS i) AS s",
            {
                "operation": operation.pk,
                "draw": first_draw,
                "per_week": per_week,
                "conv": first_conversation,
                "done": done_below,
                "users": users,
                "n": reviewers,
                "weeks": WEEKS,
                "singles": singles,
                "doubles": items - singles,
                "stride": singles // max(1, items - singles),
            },
        )
        cursor.execute("ANALYZE")
        cursor.execute("SELECT count(*) FROM sampling_reviewitem")
        assert cursor.fetchone()[0] == items
    return operation.pk, users


def _small_beside(big_operation_id: int, user_id: int, rounds: int) -> list[float]:
    """Another operation with a small pool (due later than the large one's, so that an index
    not starting with the operation would walk the large pool first): one reviewer asks for
    its next item ``rounds`` times, scoring each."""
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.utils import timezone

    from criteria.models import Operation
    from criteria.services import operation_create
    from sampling.models import ReviewItem
    from sampling.services import review_item_next

    big = Operation.objects.get(pk=big_operation_id)
    small = operation_create(organization=big.organization, slug="small", title="Small")
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO metrics_conversation (operation_id, conversation_id, started_at, "
            "local_date, complexity, escalated, channel, language, topic, survey_comment, "
            "metadata) SELECT %s, 's' || i, now(), current_date, 'simple', false, 'chat', "
            "'en', 'order_status', '', '{}' FROM generate_series(1, %s) AS i",
            [small.pk, 2 * rounds],
        )
        cursor.execute(
            "INSERT INTO sampling_samplingdraw (operation_id, week, week_start, seed, strata, "
            "double_review_share, created_at) VALUES (%s, 'W0', current_date, 0, '{}', 0, now()) "
            "RETURNING id",
            [small.pk],
        )
        draw = cursor.fetchone()[0]
        cursor.execute(
            "INSERT INTO sampling_reviewitem (operation_id, draw_id, conversation_id, stratum, "
            "inclusion_probability, is_double, status, skip_reason, due, created_at) "
            "SELECT %s, %s, id, 'simple', 0.01, false, 'pending', '', current_date + 400, now() "
            "FROM metrics_conversation WHERE operation_id = %s",
            [small.pk, draw, small.pk],
        )
        cursor.execute("ANALYZE sampling_reviewitem")
    reviewer = get_user_model().objects.get(pk=user_id)
    took = []
    for _ in range(rounds):
        t = time.perf_counter()
        item = review_item_next(operation=small, reviewer=reviewer)
        took.append(time.perf_counter() - t)
        assert item is not None and item.operation_id == small.pk
        ReviewItem.objects.filter(pk=item.pk).update(status="done", done_at=timezone.now())
    return took


def _reviewer(args) -> tuple[int, list[float], list[float], list[float], list[int]]:
    operation_id, user_id, rounds, think, barrier = args
    import random

    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.utils import timezone

    from criteria.models import Operation
    from sampling.models import ReviewItem
    from sampling.services import review_item_next

    operation = Operation.objects.get(pk=operation_id)
    reviewer = get_user_model().objects.get(pk=user_id)
    some = list(ReviewItem.objects.values_list("pk", flat=True)[:rounds])
    barrier.wait()
    base = []
    for pk in some:  # the baseline: one row by primary key, same processes, same moment
        t = time.perf_counter()
        ReviewItem.objects.get(pk=pk)
        base.append(time.perf_counter() - t)
    got: list[int] = []

    def next_items(pause: float) -> list[float]:
        took = []
        rng = random.Random(user_id)
        for _ in range(rounds):
            t = time.perf_counter()
            item = review_item_next(operation=operation, reviewer=reviewer)
            took.append(time.perf_counter() - t)
            if item is None:
                break
            got.append(item.pk)
            # The reviewer scores it (what review_item_score writes to the item) ...
            ReviewItem.objects.filter(pk=item.pk).update(status="done", done_at=timezone.now())
            time.sleep(rng.uniform(0, 2 * pause))  # ... after reading it for a while
        return took

    barrier.wait()
    at_once = next_items(0.0)
    barrier.wait()
    paced = next_items(think)
    connection.close()
    return user_id, base, at_once, paced, got


def run(*, items: int, reviewers: int, rounds: int, think_ms: float) -> list[Figure]:
    with scratch_database("queue") as url, tempfile.TemporaryDirectory() as tmp:
        os.environ["DATABASE_URL"] = url
        os.environ["MEDIA_ROOT"] = tmp
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
        os.environ.setdefault("LOG_LEVEL", "WARNING")
        import django

        django.setup()
        from django.core.management import call_command
        from django.db import connection, connections

        call_command("migrate", verbosity=0)
        t = time.perf_counter()
        operation_id, users = _seed(items, reviewers)
        seeded = time.perf_counter() - t
        connections.close_all()  # each reviewer process opens its own
        context = multiprocessing.get_context("fork")
        barrier = context.Manager().Barrier(reviewers)
        with context.Pool(reviewers) as pool:
            results = pool.map(
                _reviewer,
                [(operation_id, u, rounds, think_ms / 1000, barrier) for u in users],
                chunksize=1,
            )
        base = [x for _, b, _, _, _ in results for x in b]
        took = [x for _, _, t, _, _ in results for x in t]
        paced = [x for _, _, _, t, _ in results for x in t]
        handed = [pk for _, _, _, _, got in results for pk in got]
        twice = len(handed) - len(set(handed))
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM (SELECT assigned_to_id, conversation_id "
                "FROM sampling_reviewitem WHERE assigned_to_id IS NOT NULL "
                "GROUP BY 1, 2 HAVING count(*) > 1) AS x"
            )
            both_reviews = cursor.fetchone()[0]
        beside = _small_beside(operation_id, users[0], rounds)
        connection.close()
    p95, base95 = percentile(took, 0.95) * 1000, percentile(base, 0.95) * 1000
    paced95 = percentile(paced, 0.95) * 1000
    print(
        f"queue: {items:,} review items seeded in {seeded:.0f} s; {reviewers} reviewers × "
        f"{rounds} rounds back to back, then {rounds} with ~{think_ms:.0f} ms between items; "
        f"{len(handed):,} items handed out"
    )
    print(
        f"  next item   p50 {percentile(took, 0.5) * 1000:6.1f} ms   p95 {p95:6.1f} ms"
        f"   (back to back)\n"
        f"  next item   p50 {percentile(paced, 0.5) * 1000:6.1f} ms   p95 {paced95:6.1f} ms"
        f"   (paced)\n"
        f"  pk read     p50 {percentile(base, 0.5) * 1000:6.1f} ms   p95 {base95:6.1f} ms\n"
        f"  next item   p95 {percentile(beside, 0.95) * 1000:6.1f} ms   (a small operation "
        f"beside it, one reviewer)\n"
        f"  items handed to two reviewers: {twice}; reviewers with both reviews of a "
        f"conversation: {both_reviews}"
    )
    full = items >= 1_000_000 and reviewers >= 20
    return [
        Figure(
            f'queue "next item" p95, {items:,} items, {reviewers} reviewers at once',
            p95,
            "ms",
            "read by primary key",
            base95,
            f"≤ {P95_TARGET_MS:.0f} ms" if full else "",
            p95 <= P95_TARGET_MS if full else None,
        ),
        Figure(
            f'queue "next item" p95, same, ~{think_ms:.0f} ms between a reviewer\'s items',
            paced95,
            "ms",
            "read by primary key",
            base95,
            "",
        ),
        Figure(
            'queue "next item" p95, a small operation beside the large pool',
            percentile(beside, 0.95) * 1000,
            "ms",
            "read by primary key",
            base95,
            "",
        ),
        Figure(
            "queue: items handed to two reviewers",
            twice + both_reviews,
            "",
            "",
            None,
            "0",
            twice + both_reviews == 0 and len(handed) == 2 * reviewers * rounds,
        ),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--reviewers", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=40, help="next items per reviewer")
    parser.add_argument("--think-ms", type=float, default=100.0, help="mean pause, paced half")
    parser.add_argument("--smoke", action="store_true", help="a small run (CI)")
    parser.add_argument("--figures", help="also write the figures as JSON to this file")
    args = parser.parse_args(argv)
    if args.smoke:
        args.items, args.reviewers, args.rounds, args.think_ms = 10_000, 4, 5, 10.0
    print(machine())
    figures = run(
        items=args.items, reviewers=args.reviewers, rounds=args.rounds, think_ms=args.think_ms
    )
    print(table(figures))
    figures_write(args.figures, figures)
    return 0


if __name__ == "__main__":
    sys.exit(main())
