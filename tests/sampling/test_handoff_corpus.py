"""'Asked for a human' measured on corpora of customer messages, and on the STAR dialogues.

Each corpus (tests/sampling/data/handoff_corpus_*.json) was written for the purpose by its own
writer who had not seen the phrase lists: 25 - 35 requests for a person and as many other
messages per language (en, sv, de, fr, es, nl, pt), many of those near misses ("your agent
promised me a refund", "I'm a real person lol", "no, I don't need an agent"). Recall measured
before any phrase was written for a corpus (the lists before round 7 found 0.43 and 0.33 of a
and b):

- a: the lists of round 7 were written on it; b (round 7): 0.65 first, precision 1.00;
- c (round 8), typed in a hurry ("agent tack, det är bråttom", "humaaan"): 0.77 first, 0.82
  once sentences were kept apart;
- d (round 8), polite and indirect ("Could you arrange for someone to call me back?"): 0.37
  first; widened in two passes on its halves (after the first, the unused half read 0.59).

tests/sampling/data/held_out/handoff_corpus_e.json, a mix of all these registers written
independently afterwards, was never used to write phrases: round 7's lists read 0.66 on it,
round 8's 0.87 (precision 1.00), and a floor guards it.
"""

import gzip
import json
from pathlib import Path

import pytest

from sampling import handoff_phrases
from sampling.handoff_phrases import asked_for_human
from tests.phrase_corpora import LANGUAGES, every_phrase_matches, load, score, texts

DATA = Path(__file__).parent / "data"
CORPORA = sorted(DATA.glob("handoff_corpus_*.json"))
SHARED_STAR = Path("/work/shared/data/star/star_dialogues_slim.jsonl.gz")


def test_there_are_four_corpora_in_seven_languages():
    assert len(CORPORA) == 4
    for path in CORPORA:
        assert sorted(load(path)) == LANGUAGES


@pytest.mark.parametrize("path", CORPORA, ids=lambda p: p.stem)
def test_requests_are_found_and_other_messages_left_alone(path):
    every_language = score(path, lambda text, language: asked_for_human(text))
    assert every_language.recall >= 0.9, every_language
    assert every_language.precision >= 0.97, every_language
    assert min(every_language.recall_by_language.values()) >= 0.85, every_language
    # The conversation's language known: only its own list is tried.
    own_language = score(path, asked_for_human)
    assert own_language.recall >= 0.9, own_language


HELD_OUT = DATA / "held_out" / "handoff_corpus_e.json"


def test_the_held_out_corpus_reads_as_measured_when_it_was_first_used():
    # Not a target to tune to: phrases are never written on this corpus (see the docstring).
    result = score(HELD_OUT, lambda text, language: asked_for_human(text))
    assert result.recall >= 0.83, result
    assert result.precision >= 0.98, result


def _brute_force(text: str) -> bool:
    """Every built-in phrase of every language tried, no index."""
    return every_phrase_matches(
        (handoff_phrases._builtin(code) for code in handoff_phrases.languages()), text
    )


def test_the_anchor_index_never_skips_a_phrase_that_matches():
    every = texts(CORPORA)
    assert [asked_for_human(t) for t in every] == [_brute_force(t) for t in every]


@pytest.mark.parametrize(
    "text",
    [
        "agent",
        "Human please",
        "HUMAIN",
        "un humano x favor",
        "Hi. Agent please!",
        "AGENT. AGENT.",
        "humaaan",
    ],
)
def test_a_one_word_request_counts(text):
    assert asked_for_human(text)


@pytest.mark.parametrize(
    "text", ["human error on my side", "agent smith", "Agent 007 is my favourite film"]
)
def test_those_words_inside_other_messages_do_not(text):
    assert not asked_for_human(text)


@pytest.mark.skipif(not SHARED_STAR.exists(), reason="the STAR corpus is not beside the checkout")
def test_the_star_customers_almost_never_look_like_they_ask_for_a_human():
    # STAR users book trips, doctors and venues with an assistant and never ask for a human;
    # "I need someone to look into it", "you can call me Mark" and "I want 42 people" must
    # not count. Of the 45,852 customer turns of the first 6,000 dialogues, one does.
    turns = flagged = 0
    with gzip.open(SHARED_STAR, "rt", encoding="utf-8") as handle:
        for number, line in enumerate(handle):
            if number == 6000:
                break
            for event in json.loads(line).get("events", []):
                if event.get("agent") == "User" and isinstance(event.get("text"), str):
                    turns += 1
                    flagged += asked_for_human(event["text"])
    assert turns > 40_000
    assert flagged <= 3
