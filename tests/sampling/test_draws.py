"""Weekly draws: strata, reproducibility, inclusion probabilities, the `sample` command."""

import io
from collections import Counter
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command

from sampling.models import ReviewItem, SamplingDraw, SamplingSettings
from sampling.services import sample_draw
from tests.sampling.factories import MONDAY, WEEK, conversation_make, plan_set, week_make


@pytest.fixture
def population(personas):
    op = personas.operation
    plan_set(op, per_week=40, complex_share=0.6)
    week_make(op, 60, start=0, complexity="simple")
    week_make(op, 60, start=100, complexity="complex")
    week_make(op, 10, start=200, asked=True)  # detected in the transcript
    week_make(op, 5, start=300, human_requested=True)  # the field only
    week_make(op, 5, start=350, human_requested=True, escalated=True)  # asked, and escalated
    week_make(op, 8, start=400, csat=1, complexity="complex")
    week_make(op, 6, start=500, turns=30)
    week_make(op, 6, start=600, looping=True)
    conversation_make(op, 999, day=MONDAY - timedelta(days=1))  # the week before
    return op


def picked(draw):
    return sorted(draw.items.filter(is_double=False).values_list("conversation_id", flat=True))


def test_a_draw_follows_the_plan_with_targeted_and_random_strata(population):
    draw = sample_draw(operation=population, week=WEEK)

    items = list(draw.items.filter(is_double=False).select_related("conversation"))
    assert len(items) == 40  # the criteria's per_week
    assert len({i.conversation_id for i in items}) == 40  # never the same conversation twice
    strata = Counter(i.stratum for i in items)
    assert set(strata) == {
        "asked_not_escalated",
        "low_csat",
        "long_or_looping",
        "random_simple",
        "random_complex",
    }
    assert draw.strata["asked_not_escalated"]["population"] == 15  # field or detection
    assert draw.strata["long_or_looping"]["population"] == 12
    # The uniform random strata get at least 60 % of the budget, 60 % of that complex.
    random_items = strata["random_simple"] + strata["random_complex"]
    assert random_items >= 24
    assert strata["random_complex"] == round(random_items * 0.6)
    for item in items:
        info = draw.strata[item.stratum]
        assert item.inclusion_probability == pytest.approx(info["size"] / info["population"])
        assert item.conversation.local_date >= MONDAY
    asked = [i for i in items if i.stratum == "asked_not_escalated"]
    assert all(not i.conversation.escalated for i in asked)


def test_a_draw_is_reproducible_and_made_once_per_week(population):
    first = sample_draw(operation=population, week=WEEK)
    again = sample_draw(operation=population, week=WEEK)
    assert again.pk == first.pk and picked(again) == picked(first)

    chosen, seed = picked(first), first.seed
    SamplingDraw.objects.all().delete()
    redrawn = sample_draw(operation=population, week="2025-w14")
    assert (redrawn.seed, picked(redrawn)) == (seed, chosen)


def test_a_share_is_drawn_again_for_blind_double_review(population):
    SamplingSettings.objects.create(operation=population, double_review_share=0.25)
    draw = sample_draw(operation=population, week=WEEK)

    doubles = list(draw.items.filter(is_double=True))
    assert len(doubles) == 10
    primary = {i.conversation_id: i for i in draw.items.filter(is_double=False)}
    for item in doubles:
        assert item.inclusion_probability == primary[item.conversation_id].inclusion_probability


def test_the_default_double_share_is_ten_percent(population):
    draw = sample_draw(operation=population, week=WEEK)
    assert draw.items.filter(is_double=True).count() == 4


def test_a_small_week_takes_everything_with_probability_one(personas):
    week_make(personas.operation, 7)
    draw = sample_draw(operation=personas.operation, week=WEEK)
    assert draw.items.filter(is_double=False).count() == 7
    assert set(draw.items.values_list("inclusion_probability", flat=True)) == {1.0}


def test_the_sample_command(population):
    out = io.StringIO()
    call_command("sample", "eu-chat", "--week", WEEK, stdout=out)
    text = out.getvalue()
    assert text.startswith("eu-chat 2025-W14: 40 conversations sampled, 4 blind double reviews")
    assert "asked_not_escalated: " in text
    assert ReviewItem.objects.count() == 44

    with pytest.raises(CommandError, match="not an ISO week"):
        call_command("sample", "eu-chat", "--week", "2025-14", stdout=io.StringIO())
    with pytest.raises(CommandError, match="No operation"):
        call_command("sample", "nope", stdout=io.StringIO())


def test_the_weekly_task_draws_last_week_for_operations_with_data(
    population, time_machine, celery_eager
):
    from sampling.tasks import sample_weekly_task

    time_machine.move_to("2025-04-07T04:00:00+00:00")
    assert sample_weekly_task.delay().get() == [population.pk]
    assert SamplingDraw.objects.get().week == WEEK
