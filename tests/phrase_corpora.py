"""Labelled corpora of free text (tests/*/data/*_corpus_*.json) and how a detector scores on
them: {language: {"true": [texts it should find], "false": [texts it should leave]}}."""

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from accounts.phrases import normalise

LANGUAGES = ["de", "en", "es", "fr", "nl", "pt", "sv"]


def load(path: Path) -> dict[str, dict[str, list[str]]]:
    return json.loads(path.read_text(encoding="utf-8"))


def texts(paths: Iterable[Path]) -> list[str]:
    """Every text of the corpora, labelled either way."""
    return [
        text
        for path in paths
        for labelled in load(path).values()
        for text in labelled["true"] + labelled["false"]
    ]


@dataclass
class Score:
    recall: float
    precision: float
    recall_by_language: dict[str, float]


def score(path: Path, detect: Callable[[str, str], bool]) -> Score:
    """``detect(text, language)`` on every text of the corpus at ``path``."""
    found = missed = wrong = 0
    by_language = {}
    for language, labelled in load(path).items():
        hits = sum(detect(text, language) for text in labelled["true"])
        by_language[language] = hits / len(labelled["true"])
        found, missed = found + hits, missed + len(labelled["true"]) - hits
        wrong += sum(detect(text, language) for text in labelled["false"])
    return Score(found / (found + missed), found / max(1, found + wrong), by_language)


def every_phrase_matches(phrase_sets: Iterable, text: str) -> bool:
    """Whether ``text`` matches some phrase (or ``whole`` phrase) of ``phrase_sets`` when every
    phrase is tried, no anchor index: what the index must never change."""
    normalised = normalise(text, sentences=True)
    return any(
        compiled.whole_matches(normalised)
        or any(compiled.phrase_matches(i, normalised) for i in range(len(compiled.phrases)))
        for compiled in phrase_sets
    )
