"""Multilingual phrase matching over free text: the engine behind "asked for a human"
(sampling.handoff_phrases) and "could not reach a person" (metrics.ingest.complaints).

Text is normalised (case-folded, accents removed, punctuation turned into spaces) and phrases
match whole words. The phrase syntax, word by word: ``word``; ``(a|b|c)`` one of the
alternatives, ``_`` standing for a space inside one; ``word?`` or ``(a|b)?`` optional (not as
the last word). A negation among the few words right before a match (or overlapping it)
cancels that match.
"""

import re
import unicodedata
from collections.abc import Iterable
from functools import cache, lru_cache
from pathlib import Path

import yaml

NEGATION_WINDOW_WORDS = 4
_NOT_WORD = re.compile(r"[^\w]|_")


def normalise(text: str) -> str:
    """Case-fold, strip accents, and keep only letters and digits separated by single spaces."""
    folded = text.casefold()
    if not folded.isascii():  # ASCII has no accents to strip
        folded = unicodedata.normalize("NFKD", folded)
        folded = "".join(c for c in folded if not unicodedata.combining(c))
    return " ".join(_NOT_WORD.sub(" ", folded).split())


def _word_pattern(word: str) -> str:
    return re.escape(normalise(word.replace("_", " ")))


def compile_phrase(phrase: str) -> re.Pattern[str]:
    """Compile one phrase of the data-file syntax to a regex over normalised text.

    Raises ValueError for an empty phrase or one that ends with an optional word.
    """
    tokens = phrase.split()
    if not tokens:
        raise ValueError("empty phrase")
    parts: list[str] = []
    for position, token in enumerate(tokens):
        optional = token.endswith("?")
        token = token.removesuffix("?")
        if token.startswith("(") and token.endswith(")"):
            alternatives = [a for a in token[1:-1].split("|") if normalise(a.replace("_", " "))]
        else:
            alternatives = [token]
        if not alternatives or not all(_word_pattern(a) for a in alternatives):
            raise ValueError(f"phrase {phrase!r}: word {position + 1} is empty after normalising")
        group = "(?:" + "|".join(_word_pattern(a) for a in alternatives) + ")"
        last = position == len(tokens) - 1
        if optional and last:
            raise ValueError(f"phrase {phrase!r}: the last word cannot be optional")
        if last:
            parts.append(group)
        elif optional:
            parts.append(f"(?:{group} )?")
        else:
            parts.append(f"{group} ")
    return re.compile(r"(?<!\S)" + "".join(parts) + r"(?!\S)")


def first_words(phrase: str) -> set[str]:
    """The normalised words a match of ``phrase`` can begin with (its optional leading words'
    and its first required word's alternatives)."""
    words: set[str] = set()
    for token in phrase.split():
        optional = token.endswith("?")
        token = token.removesuffix("?")
        alternatives = token[1:-1].split("|") if token.startswith("(") else [token]
        for alternative in alternatives:
            normalised = normalise(alternative.replace("_", " ")).split()
            if normalised:
                words.add(normalised[0])
        if not optional:
            break
    return words


class PhraseSet:
    """Compiled phrases of one language with its negations."""

    def __init__(self, phrases: Iterable[str], negations: Iterable[str]) -> None:
        self.phrases = [compile_phrase(p) for p in phrases]
        self.negations = [compile_phrase(n) for n in negations]
        # Every word a match can begin with: most texts hold none of them, and a set lookup
        # per word rules them out far faster than a search per phrase.
        self.first_words = frozenset(w for p in phrases for w in first_words(p))

    def matches(self, normalised_text: str) -> bool:
        if self.first_words.isdisjoint(normalised_text.split()):
            return False
        for pattern in self.phrases:
            for match in pattern.finditer(normalised_text):
                # The window includes the match itself, so that a negation overlapping the
                # phrase ("nao preciso" + "preciso falar com um atendente") is seen.
                start = match.start()
                preceding = normalised_text[max(0, start - 30 * NEGATION_WINDOW_WORDS) : start]
                before = preceding.split()[-NEGATION_WINDOW_WORDS:]
                window = " ".join([*before, match.group()])
                if not any(neg.search(window) for neg in self.negations):
                    return True
        return False


@cache
def phrase_file(path: Path) -> dict[str, dict[str, list[str]]]:
    """A phrase data file (language -> phrases and negations), read once per process."""
    with path.open(encoding="utf-8") as handle:
        data = yaml.safe_load(handle)
    return {
        language: {
            "phrases": list(entry.get("phrases") or []),
            "negations": list(entry.get("negations") or []),
        }
        for language, entry in data.items()
    }


@cache
def phrase_file_set(path: Path, language: str) -> PhraseSet:
    """The compiled built-in phrases of one language of a phrase data file."""
    entry = phrase_file(path)[language]
    return PhraseSet(entry["phrases"], entry["negations"])


@lru_cache(maxsize=256)
def phrase_set_cached(phrases: tuple[str, ...], negations: tuple[str, ...]) -> PhraseSet:
    """An organization's own phrases, compiled once per distinct list."""
    return PhraseSet(phrases, negations)
