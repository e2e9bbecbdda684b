"""Turning STAR corpus dialogues into conversations of FORMATS.md §1 (for the demo and tests).

STAR (Rasa, MIT licence, https://github.com/RasaHQ/STAR): real, human-written task dialogues;
a crowd worker played the user, another the assistant ("Wizard"). ``User`` turns become
``customer`` turns and ``Wizard`` turns ``ai`` turns (``utter`` and ``pick_suggestion`` events).
STAR has no escalation, CSAT or timestamps in our sense, so those fields are *derived* and
listed under ``derived`` in each conversation's metadata:

- ``complexity``: complex when the dialogue is off the happy path or multitask, else simple;
- ``escalated``: false (nobody handed off in STAR);
- ``resolved_first_contact``: the dialogue's ``completion`` is "Complete";
- ``csat``: 4 when the user said the assistant stayed calm and helpful, 2 when not;
- ``started_at``: spread over the demo week (the corpus's own times are from 2020);
- ``survey_comment``: STAR has no post-contact survey. Where the user said the assistant was
  not calm and helpful, the seed's complaint ("the bot didn't understand me and wouldn't let
  me reach someone") in English, Swedish or German, in turn; a short thanks on every fifth
  other dialogue; none otherwise. So the demo's complaint rate and its comments have data.
"""

import gzip
import json
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

ROLES = {"User": "customer", "Wizard": "ai"}
TURN_ACTIONS = {"utter", "pick_suggestion"}
CREDIT = "STAR corpus (Rasa, MIT licence)"
DERIVED = [
    "complexity",
    "escalated",
    "resolved_first_contact",
    "csat",
    "started_at",
    "survey_comment",
]
# The seed's complaint, recorded in three languages (derived: STAR has no survey).
COMPLAINTS = (
    "The bot didn't understand me and wouldn't let me reach someone.",
    "Boten förstod mig inte och jag kom aldrig fram till en människa.",
    "Der Bot hat mich nicht verstanden und ich konnte keinen Menschen erreichen.",
)
THANKS = ("Quick and easy, thanks.", "Snabbt och smidigt, tack.", "Schnell erledigt, danke.")
MIN_TURNS = 4


def star_dialogues(path: Path) -> Iterator[dict[str, Any]]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                yield json.loads(line)


def _helpful(dialogue: dict[str, Any]) -> bool | None:
    for answer in dialogue.get("user_questionnaire") or []:
        if "calm and helpful" in (answer.get("Question") or ""):
            return bool(answer.get("Answer"))
    return None


def star_conversation(
    dialogue: dict[str, Any], *, index: int, week_start: date, timezone: str
) -> dict[str, Any] | None:
    """One dialogue as a conversation row with its transcript; None when too short."""
    messages = [
        {"role": ROLES[e["agent"]], "text": e["text"].strip()}
        for e in dialogue.get("events") or []
        if e.get("agent") in ROLES and e.get("action") in TURN_ACTIONS and (e.get("text") or "")
    ]
    if len(messages) < MIN_TURNS:
        return None
    day = week_start + timedelta(days=index % 7)
    minute = (index * 37) % (10 * 60)  # spread over 08:00-18:00
    started = datetime.combine(day, time(8), tzinfo=ZoneInfo(timezone)) + timedelta(minutes=minute)
    helpful = _helpful(dialogue)
    complex_ = not dialogue.get("happy", True) or bool(dialogue.get("multitask"))
    if helpful is False:
        comment = COMPLAINTS[index % len(COMPLAINTS)]
    elif index % 5 == 0:
        comment = THANKS[index // 5 % len(THANKS)]
    else:
        comment = ""
    return {
        "conversation_id": f"star-{dialogue['dialogue_id']}",
        "started_at": started.isoformat(),
        "complexity": "complex" if complex_ else "simple",
        "escalated": False,
        "resolved_first_contact": dialogue.get("completion") == "Complete",
        "csat": None if helpful is None else (4 if helpful else 2),
        "channel": "chat",
        "language": "en",
        "topic": ",".join(dialogue.get("tasks") or [])[:200],
        "survey_comment": comment,
        "messages": messages,
        "source": CREDIT,
        "derived": ",".join(DERIVED),
    }
