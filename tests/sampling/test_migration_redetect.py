"""sampling 0006: stored transcripts judged again with the round-7 "asked for a human" lists."""

import importlib

from django.apps import apps

from sampling.models import HandoffPhrases, Transcript
from tests.sampling.factories import conversation_make

redetect = importlib.import_module("sampling.migrations.0006_redetect_asked_for_human").redetect


def test_stale_flags_are_mended_with_the_organizations_phrases(personas):
    op = personas.operation
    HandoffPhrases.objects.create(
        organization=op.organization, phrases={"en": ["put ~2 klarna_team on"]}
    )
    said = {
        1: ("Could I maybe chat with one of your staff about this?", True),  # round 7's lists
        2: ("Please put the Klarna team on", True),  # the organization's own phrase
        3: ("The delivery person left it at the wrong door", False),
    }
    for number, (text, _) in said.items():
        conversation_make(op, number)
        Transcript.objects.filter(conversation__conversation_id=f"c{number}").update(
            messages=[{"role": "customer", "text": text}], asked_for_human_detected=False
        )
    conversation_make(op, 4, asked=True)
    Transcript.objects.filter(conversation__conversation_id="c4").update(
        messages=[{"role": "ai", "text": "Let me talk to a human please"}]  # not the customer
    )

    redetect(apps, None)

    flags = dict(
        Transcript.objects.values_list("conversation__conversation_id", "asked_for_human_detected")
    )
    assert flags == {"c1": True, "c2": True, "c3": False, "c4": False}


def test_round_8_judges_the_stored_turns_again(personas):
    op = personas.operation
    said = {1: ("Hi. Agent please!", True), 2: ("humaaan", True), 3: ("Hi. Thanks!", False)}
    for number, (text, _) in said.items():
        conversation_make(op, number)
        Transcript.objects.filter(conversation__conversation_id=f"c{number}").update(
            messages=[{"role": "customer", "text": text}], asked_for_human_detected=False
        )

    importlib.import_module("sampling.migrations.0007_redetect_asked_for_human_round_8").redetect(
        apps, None
    )

    flags = dict(
        Transcript.objects.values_list("conversation__conversation_id", "asked_for_human_detected")
    )
    assert flags == {"c1": True, "c2": True, "c3": False}
