"""Did the survey comment say the customer could not reach a person, or was not understood?

The same multilingual phrase matching as "asked for a human" (accounts.phrases, the engine
shared with sampling.handoff_phrases): phrase lists in ``data/complaint_phrases.yaml`` (en,
sv, de, fr, es, nl, pt), an organization's own phrases added through ``SurveyPhrases``.
Every language is tried whatever the conversation's language, because survey comments are
often written in another one than the chat.

Ingestion stores the verdict on the conversation (``survey_complaint``) and the daily counts
(``survey_comments``, ``survey_complaints``), so the complaint rate is a daily series the
warning tier watches like any other.

Honest limitations: phrase matching, not understanding. Paraphrases not listed, misspellings
and irony are missed; a comment quoting someone else ("my friend said she could not reach
anyone") counts. Treat the rate as a signal with its interval, and read the comments.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from pathlib import Path

from accounts.phrases import (
    Anchors,
    PhraseSet,
    extra_phrase_set,
    normalise,
    phrase_file,
    phrase_file_set,
)

DATA_FILE = Path(__file__).parent / "data" / "complaint_phrases.yaml"


def _load() -> dict[str, dict[str, list[str]]]:
    return phrase_file(DATA_FILE)


def _builtin(language: str) -> PhraseSet:
    return phrase_file_set(DATA_FILE, language)


@cache
def _all_builtin() -> tuple[Anchors, list[tuple[PhraseSet, int]]]:
    """One index of the built-in phrases of every language (every comment is tried in all of
    them), and each phrase's language set and index in it."""
    phrases: list[str] = []
    owners: list[tuple[PhraseSet, int]] = []
    for code in languages():
        compiled = _builtin(code)
        for index, phrase in enumerate(_load()[code]["phrases"]):
            phrases.append(phrase)
            owners.append((compiled, index))
    return Anchors(phrases), owners


def languages() -> list[str]:
    """The languages with a built-in phrase list."""
    return sorted(_load())


def is_complaint(text: str, extra_phrases: Mapping[str, list[str]] | None = None) -> bool:
    """True if the survey comment ``text`` says the customer could not reach a person or was
    not understood. ``extra_phrases`` maps a language code to the organization's own phrases
    (data-file syntax; they use that language's negations)."""
    return complaint_evidence(text, extra_phrases) is not None


def complaint_evidence(
    text: str, extra_phrases: Mapping[str, list[str]] | None = None
) -> str | None:
    """The words of the comment (normalised: lower case, no accents or punctuation) that make
    it a complaint, or None when it is not one (what reviewers see beside a flagged
    comment)."""
    normalised = normalise(text or "", sentences=True)
    if not normalised:
        return None
    words = set(normalised.split())
    anchors, owners = _all_builtin()
    for candidate in anchors.candidates(normalised, words, screened=True):
        compiled, index = owners[candidate]
        found = compiled.phrase_match(index, normalised)
        if found is not None:
            return found
    for code, phrases in (extra_phrases or {}).items():
        if not phrases:
            continue
        found = extra_phrase_set(DATA_FILE, code, phrases).first_match(normalised, words)
        if found is not None:
            return found
    return None


def complaint_flag(
    comment: str, extra_phrases: Mapping[str, list[str]] | None = None
) -> bool | None:
    """The stored verdict: None without a comment, else whether it is a complaint."""
    if not (comment or "").strip():
        return None
    return is_complaint(comment, extra_phrases)
