"""python manage.py seed_demo_transcripts [--path] : STAR dialogues as demo transcripts."""

import gzip
import io
import json
from pathlib import Path

import pytest
from django.core.management import call_command

from metrics.models import Conversation
from sampling.models import ReviewItem, Transcript

pytestmark = pytest.mark.usefixtures("media_root")

SHIPPED = Path(__file__).resolve().parents[2] / "sampling/data/star_demo.jsonl.gz"


def dialogue(number, *, happy=True, helpful=True, turns=6, text="I need a doctor appointment"):
    events = [{"agent": "UserGuide", "action": "instruct", "t": 1, "text": "Be annoyed."}]
    for i in range(turns):
        agent = "User" if i % 2 == 0 else "Wizard"
        action = "utter" if agent == "User" else "pick_suggestion"
        events.append({"agent": agent, "action": action, "t": 2 + i, "text": f"{text} {i}"})
    events.append({"agent": "Wizard", "action": "query", "t": 99, "text": ""})
    return {
        "dialogue_id": number,
        "completion": "Complete" if happy else "NotComplete",
        "domains": ["doctor"],
        "happy": happy,
        "multitask": False,
        "tasks": ["doctor_schedule"],
        "user_questionnaire": [
            {
                "Question": "Did the assistant stay calm and helpful throughout the dialogue?",
                "Answer": helpful,
            }
        ],
        "events": events,
    }


@pytest.fixture
def star_file(tmp_path):
    rows = [
        dialogue(1),
        dialogue(
            2, happy=False, helpful=False, text="let me talk to a human, call +46 70 123 45 67"
        ),
        dialogue(3, turns=2),  # too short: left out
        dialogue(4),
    ]
    path = tmp_path / "star.jsonl.gz"
    path.write_bytes(gzip.compress("".join(json.dumps(r) + "\n" for r in rows).encode()))
    return path


def run(*args) -> str:
    out = io.StringIO()
    call_command("seed_demo_transcripts", *args, stdout=out)
    return out.getvalue()


def test_dialogues_become_redacted_transcripts_and_a_sample_for_the_reviewer(personas, star_file):
    args = ["--path", str(star_file), "--operation", "eu-chat", "--reviewer", "senior_reviewer"]
    out = run(*args)

    assert "3 STAR dialogues (STAR corpus (Rasa, MIT licence)): 3 ingested" in out
    unhappy = Conversation.objects.get(conversation_id="star-2")
    assert (unhappy.complexity, unhappy.csat, unhappy.escalated) == ("complex", 2, False)
    assert unhappy.resolved_first_contact is False
    assert unhappy.metadata["source"] == "STAR corpus (Rasa, MIT licence)"
    assert "complexity" in unhappy.metadata["derived"]
    # STAR has no survey: the demo derives one, the seed's complaint where the user said the
    # assistant was not helpful, so the complaint rate and its comment list have data.
    assert unhappy.survey_comment and unhappy.survey_complaint is True
    thanked = Conversation.objects.get(conversation_id="star-1")
    assert thanked.survey_comment and thanked.survey_complaint is False
    assert Conversation.objects.get(conversation_id="star-4").survey_complaint is None
    transcript = unhappy.transcript
    assert [m["role"] for m in transcript.messages][:2] == ["customer", "ai"]
    assert "[PHONE]" in transcript.messages[0]["text"]
    assert transcript.asked_for_human_detected
    assert ReviewItem.objects.filter(assigned_to=personas.reviewer).count() == 3

    again = run(*args)
    assert "0 ingested, 0 updated" in again
    assert Transcript.objects.count() == 3
    assert ReviewItem.objects.filter(is_double=False).count() == 3


def test_a_missing_file_is_skipped_with_a_message(personas, tmp_path):
    out = run("--path", str(tmp_path / "nope.jsonl.gz"))
    assert out.startswith("Skipped: no STAR dialogues at")
    assert not Conversation.objects.exists()


def test_the_shipped_dialogues_seed_the_demo_operation_without_shared_data(db, tmp_path):
    # A fresh clone has no ../shared/: the default path is the project's own demo file.
    assert SHIPPED.exists()
    call_command("seed_demo", stdout=io.StringIO())
    out = run()
    assert "300 STAR dialogues" in out
    assert Transcript.objects.filter(conversation__operation__slug="eu-retail-chat").count() == 300
    assert ReviewItem.objects.filter(assigned_to__username="reviewer").count() == 20
