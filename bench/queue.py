"""The reviewer queue at scale: "next item" with 1M review items and 20 reviewers at once.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/stopline python -m bench.queue \\
        [--items 1000000] [--reviewers 20] [--rounds 40] [--smoke]

Seeds a scratch database (<name>_queue, dropped afterwards) with generate_series: one
operation, a year of weekly draws holding --items review items (10 % of them blind second
reviews), the older 85 % done by the reviewers, the rest waiting in the pool. Then
--reviewers processes (one per reviewer, each with its own connection) start together and each
asks for the next item --rounds times through the service the page calls
(``sampling.services.review_item_next``, SELECT ... FOR UPDATE SKIP LOCKED), finishing each
item before asking again. Measured per call, in the reviewer's process. The baseline of the
same run: the same processes reading one review item by primary key through the ORM.
Afterwards every handed-out item is checked: no item went to two reviewers, and no reviewer
got both reviews of one conversation.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import sys
import tempfile
import time

from bench.common import Figure, machine, percentile, scratch_database, table

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
            "INSERT INTO sampling_reviewitem (draw_id, conversation_id, stratum, "
            "inclusion_probability, is_double, assigned_to_id, reserved_until, status, "
            "skip_reason, due, created_at, done_at) "
            "SELECT %(draw)s + c / %(per_week)s, %(conv)s + c, 'simple', 0.01, d, "
            "CASE WHEN c < %(done)s AND NOT d THEN (%(users)s::bigint[])[1 + c %% %(n)s] END, "
            "NULL, CASE WHEN c < %(done)s AND NOT d THEN 'done' ELSE 'pending' END, '', "
            "current_date - 7 * (%(weeks)s - c / %(per_week)s) + 10, now(), "
            "CASE WHEN c < %(done)s AND NOT d THEN now() END "
            "FROM (SELECT i AS c, false AS d FROM generate_series(0, %(singles)s - 1) AS i "
            "UNION ALL SELECT i * %(stride)s, true "
            "FROM generate_series(0, %(doubles)s - 1) AS i) AS s",
            {
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


def _reviewer(args) -> tuple[int, list[float], list[float], list[int]]:
    operation_id, user_id, rounds, barrier = args
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
    barrier.wait()
    took, got = [], []
    for _ in range(rounds):
        t = time.perf_counter()
        item = review_item_next(operation=operation, reviewer=reviewer)
        took.append(time.perf_counter() - t)
        if item is None:
            break
        got.append(item.pk)
        # The reviewer scores it (what review_item_score writes to the item).
        ReviewItem.objects.filter(pk=item.pk).update(status="done", done_at=timezone.now())
    connection.close()
    return user_id, base, took, got


def run(*, items: int, reviewers: int, rounds: int) -> list[Figure]:
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
                _reviewer, [(operation_id, u, rounds, barrier) for u in users], chunksize=1
            )
        base = [x for _, b, _, _ in results for x in b]
        took = [x for _, _, t, _ in results for x in t]
        handed = [pk for _, _, _, got in results for pk in got]
        twice = len(handed) - len(set(handed))
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM (SELECT assigned_to_id, conversation_id "
                "FROM sampling_reviewitem WHERE assigned_to_id IS NOT NULL "
                "GROUP BY 1, 2 HAVING count(*) > 1) AS x"
            )
            both_reviews = cursor.fetchone()[0]
        connection.close()
    p95, base95 = percentile(took, 0.95) * 1000, percentile(base, 0.95) * 1000
    print(
        f"queue: {items:,} review items seeded in {seeded:.0f} s; {reviewers} reviewers × "
        f"{rounds} rounds, {len(handed):,} items handed out"
    )
    print(
        f"  next item   p50 {percentile(took, 0.5) * 1000:6.1f} ms   p95 {p95:6.1f} ms\n"
        f"  pk read     p50 {percentile(base, 0.5) * 1000:6.1f} ms   p95 {base95:6.1f} ms\n"
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
            "queue: items handed to two reviewers",
            twice + both_reviews,
            "",
            "",
            None,
            "0",
            twice + both_reviews == 0 and len(handed) == reviewers * rounds,
        ),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--reviewers", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=40, help="next items per reviewer")
    parser.add_argument("--smoke", action="store_true", help="a small run (CI)")
    args = parser.parse_args(argv)
    if args.smoke:
        args.items, args.reviewers, args.rounds = 20_000, 4, 10
    print(machine())
    print(table(run(items=args.items, reviewers=args.reviewers, rounds=args.rounds)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
