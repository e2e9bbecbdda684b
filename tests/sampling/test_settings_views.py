"""Review settings in the app: the facilitator edits the sampling plan, rubric items and
"asked for a human" phrases; every other member reads (403 on change); outsiders get 404;
every change is audited and takes effect."""

import pytest
from django.urls import reverse

from criteria.models import AuditEvent
from sampling.models import HandoffPhrases, SamplingSettings
from sampling.services import sampling_plan_for, stratum_of
from sampling.transcripts import TranscriptStore, handoff_phrases_for

READERS = ["ops_lead", "member", "reviewer", "viewer"]
PLAN = {
    "targeted_share": "25",
    "targeted_strata": ["asked_not_escalated", "low_csat"],
    "low_csat_max": "3",
    "long_turns": "30",
    "double_review_share": "20",
    "review_sla_days": "5",
}


def login(client, user):
    client.force_login(user)
    return client


def url(name, *args):
    return reverse(f"sampling:{name}", args=["eu-chat", *args])


def writes():
    return [
        (url("settings_plan"), PLAN),
        (url("settings_rubric", "add"), {"label": "Offered a callback", "type": "yes_no"}),
        (url("settings_rubric", "label"), {"key": "tone", "label": "Tone"}),
        (url("settings_rubric", "remove"), {"key": "tone"}),
        (url("settings_phrases", "organization"), {"phrases": "sv: prata med en människa"}),
        (url("settings_phrases", "operation"), {"phrases": "en: (agent|human) now"}),
    ]


@pytest.mark.parametrize("persona", ["facilitator", *READERS])
def test_every_member_reads_the_settings(client, personas, persona):
    login(client, getattr(personas, persona))
    response = client.get(url("settings"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Sampling plan" in page and "Handoff verdict" in page
    assert ("Save the plan" in page) == (persona == "facilitator")


@pytest.mark.parametrize("persona", READERS)
def test_others_cannot_change_anything(client, personas, persona):
    login(client, getattr(personas, persona))
    for target, data in writes():
        assert client.post(target, data).status_code == 403, target
    assert not SamplingSettings.objects.exists() and not HandoffPhrases.objects.exists()
    assert not AuditEvent.objects.filter(action__contains="rubric").exists()


def test_outsiders_get_404_and_anonymous_logs_in(client, personas):
    assert client.get(url("settings")).status_code == 302
    login(client, personas.outsider)
    assert client.get(url("settings")).status_code == 404
    for target, data in writes():
        assert client.post(target, data).status_code == 404


def test_the_facilitator_changes_the_plan_and_the_next_draw_uses_it(client, personas):
    login(client, personas.facilitator)
    assert client.post(url("settings_plan"), PLAN).status_code == 302
    plan = sampling_plan_for(personas.operation)
    assert plan.targeted_share == 0.25 and plan.low_csat == 3 and plan.long_turns == 30
    assert plan.targeted == ("asked_not_escalated", "low_csat")
    row = {
        "human_requested": False,
        "transcript__asked_for_human_detected": False,
        "escalated": False,
        "csat": 3,
        "transcript__turns": 40,
        "transcript__looping": False,
        "complexity": "simple",
    }
    assert stratum_of(row, plan) == "low_csat"  # 3 is low now
    assert stratum_of({**row, "csat": 5}, plan) == "random_simple"  # long rule switched off
    audit = AuditEvent.objects.get(action="sampling_plan_changed")
    assert audit.actor == personas.facilitator and "targeted_share 0.4 → 0.25" in audit.summary
    # Saving the same values again changes and audits nothing.
    client.post(url("settings_plan"), PLAN)
    assert AuditEvent.objects.filter(action="sampling_plan_changed").count() == 1


def test_out_of_bounds_values_are_refused(client, personas):
    login(client, personas.facilitator)
    response = client.post(url("settings_plan"), {**PLAN, "targeted_share": "95"})
    assert response.status_code == 400
    assert not SamplingSettings.objects.exists()


def test_rubric_items_are_added_renamed_and_removed_but_core_items_stay(client, personas):
    login(client, personas.facilitator)
    client.post(url("settings_rubric", "add"), {"label": "Offered a callback", "type": "yes_no"})
    client.post(url("settings_rubric", "label"), {"key": "tone", "label": "Tone fits"})
    client.post(url("settings_rubric", "remove"), {"key": "harmful_information"})
    from sampling.services import rubric_for

    items = {i["key"]: i for i in rubric_for(personas.org).items}
    assert items["offered_a_callback"]["type"] == "yes_no"
    assert items["tone"]["label"] == "Tone fits"
    assert "harmful_information" not in items
    response = client.post(url("settings_rubric", "remove"), {"key": "acceptable"})
    assert response.status_code == 400
    assert "acceptable" in {i["key"] for i in rubric_for(personas.org).items}
    assert AuditEvent.objects.filter(action="rubric_changed").count() == 3


def test_phrases_at_organization_level_with_operation_additions(client, personas):
    login(client, personas.facilitator)
    org = "sv: prata med (en|någon) människa\n# a comment\nde: mit einem menschen"
    assert client.post(url("settings_phrases", "organization"), {"phrases": org}).status_code == 302
    client.post(url("settings_phrases", "operation"), {"phrases": "sv: ge mig en handläggare"})
    assert handoff_phrases_for(personas.operation) == {
        "sv": ["prata med (en|någon) människa", "ge mig en handläggare"],
        "de": ["mit einem menschen"],
    }
    # The other operations of the organization get the organization's phrases too.
    from criteria.services import operation_create

    other = operation_create(organization=personas.org, slug="eu-mail", title="EU mail")
    assert handoff_phrases_for(other) == {
        "sv": ["prata med (en|någon) människa"],
        "de": ["mit einem menschen"],
    }
    store = TranscriptStore(personas.operation)
    prepared = store.prepare(
        [{"role": "customer", "text": "Kan jag prata med någon människa?"}], language="sv"
    )
    assert prepared.asked_for_human
    assert AuditEvent.objects.filter(action="handoff_phrases_changed").count() == 2


def test_a_bad_phrase_line_is_named(client, personas):
    login(client, personas.facilitator)
    response = client.post(
        url("settings_phrases", "organization"), {"phrases": "sv: ok phrase\nno language here"}
    )
    assert response.status_code == 400
    assert "Line 2" in response.content.decode()
    assert not HandoffPhrases.objects.exists()
