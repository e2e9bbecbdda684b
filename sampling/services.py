"""Sampling draws and the reviewer queue: every write of the sampling app.

Design of a weekly draw (``sample_draw``)
-----------------------------------------
The population is the operation's conversations whose local date falls in the ISO week. Each
conversation belongs to exactly one stratum, taken in this order:

1. ``asked_not_escalated``: not escalated although the customer asked for a human (the
   ``human_requested`` field or the phrase detector on the transcript);
2. ``low_csat``: CSAT of 2 or less;
3. ``long_or_looping``: at least ``LONG_TURNS`` turns, or looping (sampling.transcripts);
4. ``random_complex`` / ``random_simple``: everything else, by complexity (the uniform random
   strata).

The week's budget is the criteria's ``review_score`` ``per_week``. At most ``TARGETED_SHARE`` of
it goes to the targeted strata (shared equally, capped by their size); the rest, never less
than ``1 - TARGETED_SHARE``, goes to the random strata, split by ``complex_share``; what a
stratum cannot use passes to the others. Within a stratum ``h`` the draw is a simple random
sample without replacement of ``n_h`` of ``N_h`` conversations, so every item's inclusion
probability is exactly ``n_h / N_h``: the weights that undo the oversampling
(sampling/weighting.py). The random generator is seeded from the operation and the week, and
candidates are ordered by primary key, so the same data give the same draw; a draw is made
once per operation and week (asking again returns it).

A ``double_review_share`` of the sampled conversations get a second, blind review item; the
queue never gives both items of a conversation to the same reviewer.
"""

import hashlib
import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, connection, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from accounts.errors import Conflict, StoplineError
from accounts.models import Organization
from accounts.redaction import redact_note
from criteria.models import IndicatorKey, Operation
from criteria.services import version_in_force, version_latest
from metrics.ingest.review_scores import reviewer_recommendation_record
from metrics.models import Conversation, ReviewerRecommendation
from metrics.weeks import week_label, week_parse, week_start_of
from sampling.models import (
    CalibrationCase,
    ReviewItem,
    Rubric,
    RubricScore,
    SamplingDraw,
    SamplingSettings,
    Transcript,
    TranscriptReadLog,
)
from sampling.rubric import (
    VERDICT_KEY,
    agreement_items,
    answers_clean,
    critical_failed,
    default_definition,
)
from sampling.transcripts import settings_for

DEFAULT_PER_WEEK = 50
DEFAULT_COMPLEX_SHARE = 0.5
TARGETED_SHARE = 0.4
LONG_TURNS = 20
LOW_CSAT = 2
TARGETED_STRATA = ("asked_not_escalated", "low_csat", "long_or_looping")
RANDOM_STRATA = ("random_complex", "random_simple")
STRATA = TARGETED_STRATA + RANDOM_STRATA


# Weeks


def week_previous(operation: Operation, now: datetime | None = None) -> str:
    """The last complete ISO week in the operation's time zone (what the weekly task samples)."""
    from zoneinfo import ZoneInfo

    today = (now or timezone.now()).astimezone(ZoneInfo(operation.timezone)).date()
    return week_label(week_start_of(today) - timedelta(days=7))


# Plans and draws


@dataclass(frozen=True)
class SamplingPlan:
    per_week: int
    complex_share: float
    source: str  # where the numbers come from, for the command's report
    # The targeted rules (the operation's sampling settings; these are the defaults).
    targeted_share: float = TARGETED_SHARE
    targeted: tuple[str, ...] = TARGETED_STRATA
    low_csat: int = LOW_CSAT
    long_turns: int = LONG_TURNS


def _rules(operation: Operation) -> dict[str, Any]:
    settings = settings_for(operation)
    return {
        "targeted_share": settings.targeted_share,
        "targeted": tuple(s for s in TARGETED_STRATA if s in settings.targeted_strata)
        if settings.targeted_strata
        else TARGETED_STRATA,
        "low_csat": settings.low_csat_max,
        "long_turns": settings.long_turns,
    }


def sampling_plan_for(operation: Operation) -> SamplingPlan:
    """The review_score sampling settings of the criteria in force (else the latest draft)."""
    for version, source in (
        (version_in_force(operation), "agreed criteria"),
        (version_latest(operation), "draft criteria"),
    ):
        if version is None:
            continue
        target = version.targets.filter(key=IndicatorKey.REVIEW_SCORE).first()
        if target is not None and target.sampling_per_week:
            share = target.sampling_complex_share
            return SamplingPlan(
                per_week=target.sampling_per_week,
                complex_share=float(share) if share is not None else DEFAULT_COMPLEX_SHARE,
                source=f"{source} v{version.number}",
                **_rules(operation),
            )
    return SamplingPlan(
        DEFAULT_PER_WEEK, DEFAULT_COMPLEX_SHARE, "defaults (no criteria yet)", **_rules(operation)
    )


def draw_seed(operation: Operation, week: str) -> int:
    digest = hashlib.sha256(f"{operation.slug}:{week}".encode()).digest()
    return int.from_bytes(digest[:7], "big")


DEFAULT_PLAN = SamplingPlan(DEFAULT_PER_WEEK, DEFAULT_COMPLEX_SHARE, "defaults")


def stratum_of(row: dict[str, Any], plan: SamplingPlan = DEFAULT_PLAN) -> str:
    asked = row["human_requested"] is True or bool(row["transcript__asked_for_human_detected"])
    if "asked_not_escalated" in plan.targeted and not row["escalated"] and asked:
        return "asked_not_escalated"
    if "low_csat" in plan.targeted and row["csat"] is not None and row["csat"] <= plan.low_csat:
        return "low_csat"
    long = (row["transcript__turns"] or 0) >= plan.long_turns or row["transcript__looping"]
    if "long_or_looping" in plan.targeted and long:
        return "long_or_looping"
    return "random_complex" if row["complexity"] == "complex" else "random_simple"


def allocate(populations: dict[str, int], plan: SamplingPlan) -> dict[str, int]:
    """How many to draw per stratum (see the module docstring)."""
    budget = plan.per_week
    sizes = dict.fromkeys(STRATA, 0)
    targeted_budget = int(budget * plan.targeted_share)
    # Equal shares for the targeted strata; what one cannot use goes to the next ones.
    remaining = [s for s in plan.targeted if populations.get(s, 0)]
    while remaining and targeted_budget > 0:
        share = max(1, targeted_budget // len(remaining))
        for stratum in list(remaining):
            take = min(share, populations[stratum] - sizes[stratum], targeted_budget)
            sizes[stratum] += take
            targeted_budget -= take
            if sizes[stratum] >= populations[stratum]:
                remaining.remove(stratum)
            if targeted_budget <= 0:
                break
    random_budget = budget - sum(sizes.values())
    wanted_complex = round(random_budget * plan.complex_share)
    sizes["random_complex"] = min(wanted_complex, populations.get("random_complex", 0))
    sizes["random_simple"] = min(
        random_budget - sizes["random_complex"], populations.get("random_simple", 0)
    )
    # Spill what one side could not use to the other, then to the targeted strata.
    left = budget - sum(sizes.values())
    for stratum in (*RANDOM_STRATA, *TARGETED_STRATA):
        if left <= 0:
            break
        take = min(left, populations.get(stratum, 0) - sizes[stratum])
        sizes[stratum] += take
        left -= take
    return sizes


def sample_draw(
    *, operation: Operation, week: str, double_share: float | None = None
) -> SamplingDraw:
    """Draw (once) the week's review sample for the operation; returns the draw."""
    label, monday = week_parse(week)
    existing = SamplingDraw.objects.filter(operation=operation, week=label).first()
    if existing is not None:
        return existing
    plan = sampling_plan_for(operation)
    settings = settings_for(operation)
    share = settings.double_review_share if double_share is None else double_share
    rows = list(
        Conversation.objects.filter(
            operation=operation, local_date__gte=monday, local_date__lt=monday + timedelta(days=7)
        )
        .order_by("pk")
        .values(
            "pk",
            "complexity",
            "escalated",
            "human_requested",
            "csat",
            "transcript__asked_for_human_detected",
            "transcript__turns",
            "transcript__looping",
        )
    )
    members: dict[str, list[int]] = {s: [] for s in STRATA}
    for row in rows:
        members[stratum_of(row, plan)].append(row["pk"])
    populations = {s: len(ids) for s, ids in members.items()}
    sizes = allocate(populations, plan)
    seed = draw_seed(operation, label)
    rng = random.Random(seed)
    due = ReviewItem.due_for(monday, settings.review_sla_days)
    strata: dict[str, dict[str, Any]] = {}
    items: list[ReviewItem] = []
    for stratum in STRATA:
        n, population = sizes[stratum], populations[stratum]
        chosen = rng.sample(members[stratum], n) if n else []
        probability = n / population if population else 0.0
        strata[stratum] = {"population": population, "size": n, "probability": probability}
        items.extend(
            ReviewItem(
                operation=operation,
                conversation_id=pk,
                stratum=stratum,
                inclusion_probability=probability,
                due=due,
            )
            for pk in chosen
        )
    doubles = rng.sample(items, round(len(items) * share)) if items and share > 0 else []
    items.extend(
        ReviewItem(
            operation=operation,
            conversation_id=item.conversation_id,
            stratum=item.stratum,
            inclusion_probability=item.inclusion_probability,
            due=due,
            is_double=True,
        )
        for item in doubles
    )
    try:
        with transaction.atomic():
            draw = SamplingDraw.objects.create(
                operation=operation,
                week=label,
                week_start=monday,
                seed=seed,
                strata={"plan": plan.source, "per_week": plan.per_week, **strata},
                double_review_share=share,
            )
            for item in items:
                item.draw = draw
            ReviewItem.objects.bulk_create(items)
    except IntegrityError:
        # Another process drew the same week at the same moment: its draw stands.
        return SamplingDraw.objects.get(operation=operation, week=label)
    return draw


def sample_draw_all(*, week: str | None = None) -> list[int]:
    """Draw last week's sample for every operation that has conversations; returns draw ids."""
    ids = []
    for operation in Operation.objects.filter(conversations__isnull=False).distinct():
        label = week or week_previous(operation)
        ids.append(sample_draw(operation=operation, week=label).pk)
    return ids


# Rubric


def rubric_for(organization: Organization) -> Rubric:
    """The organization's rubric; the default one is created the first time it is needed."""
    rubric, _ = Rubric.objects.get_or_create(
        organization=organization, defaults={"definition": default_definition()}
    )
    return rubric


# The queue


def _pool(operation: Operation, reviewer: AbstractBaseUser, now: datetime):
    """Items anyone may take: unassigned, or a reservation that has expired."""
    return (
        ReviewItem.objects.filter(operation=operation)
        .filter(
            Q(status=ReviewItem.Status.PENDING, assigned_to__isnull=True)
            | Q(status=ReviewItem.Status.RESERVED, reserved_until__lt=now)
        )
        # Blind double review: never both reviews of one conversation to the same person.
        # A correlated NOT EXISTS, checked only for the items walked (not a list of every
        # item the reviewer ever had), so the walk stops at the first free one.
        .exclude(
            Exists(
                ReviewItem.objects.filter(
                    conversation_id=OuterRef("conversation_id"), assigned_to=reviewer
                )
            )
        )
        .order_by("due", "is_double", "id")
    )


def _locked(queryset, *, skip_locked: bool = False):
    """Lock only the item rows (not the joined draw), skipping rows others hold if asked."""
    features = connection.features
    if not features.has_select_for_update:
        return queryset
    of = ("self",) if features.has_select_for_update_of else ()
    skip = skip_locked and features.has_select_for_update_skip_locked
    return queryset.select_for_update(skip_locked=skip, of=of)


def _own_open(operation: Operation, reviewer: AbstractBaseUser, now: datetime):
    """The reviewer's open items, a live reservation first: asking again gives the same one."""
    return (
        ReviewItem.objects.filter(operation=operation, assigned_to=reviewer)
        .filter(
            Q(status=ReviewItem.Status.RESERVED, reserved_until__gte=now)
            | Q(status=ReviewItem.Status.PENDING)
        )
        .order_by("-status", "due", "id")
    )


# The claim on PostgreSQL, one statement: the reviewer's open item (a live reservation first)
# if they hold one, else the pool's first free item in hand-out order, skipping rows another
# reviewer is claiming. The pool's branch only runs when the first finds nothing (Append
# under LIMIT stops at the first row); it walks review_item_pool_by_due and checks blind
# double review (never both reviews of a conversation to one person) for the items walked.
# The same rules as _own_open and _pool, written out so that a claim costs no ORM compiling;
# tests/sampling/test_queue_claim.py runs both paths against the same expectations.
_CLAIM_SQL = """
UPDATE sampling_reviewitem
SET assigned_to_id = %(reviewer)s, status = 'reserved',
    reserved_until = %(now)s + make_interval(mins => COALESCE(
        (SELECT reservation_minutes FROM sampling_samplingsettings
         WHERE operation_id = %(operation)s), %(minutes)s))
WHERE id = (
    SELECT id FROM (
        SELECT i.id FROM sampling_reviewitem i
        WHERE i.operation_id = %(operation)s AND i.assigned_to_id = %(reviewer)s
          AND (i.status = 'pending' OR (i.status = 'reserved' AND i.reserved_until >= %(now)s))
        ORDER BY i.status DESC, i.due, i.id
        LIMIT 1 FOR UPDATE OF i
    ) AS own
    UNION ALL
    SELECT id FROM (
        SELECT i.id FROM sampling_reviewitem i
        WHERE i.operation_id = %(operation)s
          AND ((i.status = 'pending' AND i.assigned_to_id IS NULL)
               OR (i.status = 'reserved' AND i.reserved_until < %(now)s))
          AND NOT EXISTS (
              SELECT 1 FROM sampling_reviewitem mine
              WHERE mine.conversation_id = i.conversation_id
                AND mine.assigned_to_id = %(reviewer)s)
        ORDER BY i.due, i.is_double, i.id
        LIMIT 1 FOR UPDATE OF i SKIP LOCKED
    ) AS pool
    LIMIT 1)
RETURNING {columns}
"""


def _claim_one_statement(
    operation: Operation, reviewer: AbstractBaseUser, now: datetime
) -> ReviewItem | None:
    """PostgreSQL: find and reserve the item in one UPDATE ... RETURNING: one round trip, in
    autocommit (no BEGIN/COMMIT), the reservation's length read in the same statement."""
    fields = ReviewItem._meta.concrete_fields
    sql = _CLAIM_SQL.format(columns=", ".join(f.column for f in fields))
    params = {
        "reviewer": reviewer.pk,
        "operation": operation.pk,
        "now": now,
        "minutes": SamplingSettings._meta.get_field("reservation_minutes").default,
    }
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is None:
        return None
    return ReviewItem.from_db(connection.alias, [f.attname for f in fields], row)


def review_item_next(
    *, operation: Operation, reviewer: AbstractBaseUser, now: datetime | None = None
) -> ReviewItem | None:
    """The reviewer's current item, or the next one reserved for them; None when none is left.

    Rows are claimed with SELECT ... FOR UPDATE SKIP LOCKED on PostgreSQL, so reviewers asking
    at the same moment each get a different item without waiting for one another; there the
    whole claim is one UPDATE statement (``_claim_one_statement``). SQLite, which has neither
    row locks nor SKIP LOCKED (its writes are serialized), takes the same rules step by step.
    """
    now = now or timezone.now()
    if connection.features.has_select_for_update_skip_locked:
        return _claim_one_statement(operation, reviewer, now)
    minutes = settings_for(operation).reservation_minutes
    with transaction.atomic():
        own = _locked(_own_open(operation, reviewer, now)).first()
        if own is None:
            own = _locked(_pool(operation, reviewer, now), skip_locked=True).first()
        if own is None:
            return None
        own.assigned_to = reviewer
        own.status = ReviewItem.Status.RESERVED
        own.reserved_until = now + timedelta(minutes=minutes)
        own.save(update_fields=["assigned_to", "status", "reserved_until"])
    return own


def review_items_assign(
    *, operation: Operation, reviewer: AbstractBaseUser, count: int
) -> list[ReviewItem]:
    """Hand up to `count` pool items to a reviewer without an expiry (they stay pending)."""
    now = timezone.now()
    with transaction.atomic():
        items = list(_locked(_pool(operation, reviewer, now), skip_locked=True)[:count])
        for item in items:
            item.assigned_to = reviewer
            item.status = ReviewItem.Status.PENDING
            item.reserved_until = None
        ReviewItem.objects.bulk_update(items, ["assigned_to", "status", "reserved_until"])
    return items


def transcript_read_log(
    *, item: ReviewItem, user: AbstractBaseUser, via: str = "web"
) -> Transcript | None:
    """Record that `user` read the item's transcript; returns the transcript (None if absent)."""
    transcript = Transcript.objects.filter(conversation_id=item.conversation_id).first()
    if transcript is not None:
        TranscriptReadLog.objects.create(transcript=transcript, user=user, item=item, via=via)
    return transcript


def _yes_no(value: Any) -> bool | None:
    return {"yes": True, "no": False}.get(value)


def review_item_score(
    *, item: ReviewItem, reviewer: AbstractBaseUser, answers: dict[str, Any]
) -> RubricScore:
    """Save (or correct) the reviewer's score for an item assigned to them; then recompute the
    week's indicators and calibration cases."""
    operation = item.draw.operation
    rubric = rubric_for(operation.organization)
    clean = answers_clean(rubric.definition, answers)
    failed = critical_failed(rubric.definition, clean)
    with transaction.atomic():
        locked = ReviewItem.objects.select_for_update().get(pk=item.pk)
        if locked.assigned_to_id != reviewer.pk:
            raise Conflict("This item is no longer assigned to you.")
        if locked.status == ReviewItem.Status.SKIPPED:
            raise Conflict("This item was skipped.")
        score, _ = RubricScore.objects.update_or_create(
            item=locked,
            defaults={
                "reviewer": reviewer,
                "answers": clean,
                "verdict": clean[VERDICT_KEY],
                "handoff_turn": clean.get("handoff_turn"),
                "handoff_broken": clean.get("handoff_broken") == "yes",
                "critical_failed": failed,
                "acceptable": clean.get("acceptable") == "yes" and not failed,
                "understood": _yes_no(clean.get("understood")),
                "resolved": _yes_no(clean.get("resolved")),
                "compliance_flag": clean.get("compliance_flag") == "yes",
                "note": redact_note(clean.get("note") or ""),
            },
        )
        locked.status = ReviewItem.Status.DONE
        locked.reserved_until = None
        locked.done_at = timezone.now()
        locked.save(update_fields=["status", "reserved_until", "done_at"])
        calibration_cases_update(item=locked, rubric=rubric)
    from sampling.indicators import weekly_indicators_record

    weekly_indicators_record(operation=operation, week_start=item.draw.week_start)
    return score


def review_item_skip(*, item: ReviewItem, reviewer: AbstractBaseUser, reason: str) -> ReviewItem:
    reason = (reason or "").strip()
    if not reason:
        raise StoplineError("Say why you skip this item.", fields={"reason": "required"})
    with transaction.atomic():
        locked = ReviewItem.objects.select_for_update().get(pk=item.pk)
        if locked.assigned_to_id != reviewer.pk:
            raise Conflict("This item is no longer assigned to you.")
        if locked.status == ReviewItem.Status.DONE:
            raise Conflict("This item is already scored.")
        locked.status = ReviewItem.Status.SKIPPED
        locked.skip_reason = redact_note(reason[:2000])
        locked.reserved_until = None
        locked.done_at = timezone.now()
        locked.save(update_fields=["status", "skip_reason", "reserved_until", "done_at"])
    return locked


# Calibration, recommendations


def _answer_text(value: Any) -> str:
    return "" if value is None else str(value)


def calibration_cases_update(*, item: ReviewItem, rubric: Rubric) -> list[CalibrationCase]:
    """When both blind reviews of a conversation exist, open a case per item they disagree on."""
    pair = list(
        RubricScore.objects.filter(
            item__draw=item.draw, item__conversation_id=item.conversation_id
        ).order_by("item__is_double")
    )
    if len(pair) != 2:
        return []
    first, second = pair
    cases = []
    for rubric_item in agreement_items(rubric.definition):
        key = rubric_item["key"]
        a, b = first.answers.get(key), second.answers.get(key)
        if a == b:
            CalibrationCase.objects.filter(
                first_score=first, second_score=second, item_key=key, resolved=False
            ).delete()
            continue
        case, _ = CalibrationCase.objects.update_or_create(
            first_score=first,
            second_score=second,
            item_key=key,
            defaults={
                "operation": item.draw.operation,
                "week_start": item.draw.week_start,
                "conversation_id": item.conversation_id,
                "first_answer": _answer_text(a),
                "second_answer": _answer_text(b),
            },
        )
        cases.append(case)
    return cases


def calibration_case_resolve(
    *, case: CalibrationCase, user: AbstractBaseUser, resolution: str
) -> CalibrationCase:
    resolution = (resolution or "").strip()
    if not resolution:
        raise StoplineError("Write what the reviewers agreed.", fields={"resolution": "required"})
    case.resolved = True
    case.resolution = redact_note(resolution[:5000])
    case.resolved_by = user
    case.resolved_at = timezone.now()
    case.save(update_fields=["resolved", "resolution", "resolved_by", "resolved_at"])
    return case


def recommendation_record(
    *,
    operation: Operation,
    reviewer: AbstractBaseUser,
    week_start: date,
    decision: str,
    reason: str,
) -> ReviewerRecommendation:
    """A reviewer's continue/adjust/pause for a week, stored where metrics shows it (one per
    reviewer and week; re-saving replaces it)."""
    return reviewer_recommendation_record(
        operation=operation,
        week_start=week_start_of(week_start),
        reviewer=reviewer,
        decision=decision,
        reason=reason,
    )
