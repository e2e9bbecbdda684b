"""Did the customer ask for a human? A multilingual phrase matcher over customer turns.

Used as a sampling signal beside the ``human_requested`` field (FORMATS.md §1): a conversation
where the customer asked for a human but was not escalated is a targeted sampling stratum.

The phrase lists live in ``sampling/data/handoff_phrases.yaml`` (en, sv, de, fr, es, nl, pt),
with the phrase syntax documented there; an organization adds its own through
``extra_phrases``. Matching is done on normalised text (case-folded, accents removed,
punctuation turned into spaces) with whole-word boundaries, so "humanly" or "human resources"
do not match "human", and "Prata med en MÄNNISKA!" matches "prata med en människa".

Honest limitations: this is phrase matching, not understanding. The phrases are built of named
lists of words with gaps (asking + a way of contact + a person, handing over, wanting a person,
one-word messages such as "agent"), which find most ways of asking (see
tests/sampling/test_handoff_corpus.py), but it still misses wordings none of them covers,
misspellings ("talk to a humna"), and requests spread over two turns. Negation is only
recognised when a listed negation ("don't need", "no need", "je suis") occurs in the four
words right before the phrase (or overlaps it), so "I never said I wanted to talk to a human"
still counts. Quoted speech ("the agent said
'speak to a manager'") counts. Treat the result as a signal to sample on, not as a verdict.
"""

from collections.abc import Iterable, Mapping
from pathlib import Path

from accounts.phrases import (
    NEGATION_WINDOW_WORDS,
    PhraseSet,
    compile_phrase,
    extra_phrase_set,
    normalise,
    phrase_file,
    phrase_file_set,
)

DATA_FILE = Path(__file__).parent / "data" / "handoff_phrases.yaml"
CUSTOMER_ROLE = "customer"
__all__ = [
    "NEGATION_WINDOW_WORDS",
    "asked_for_human",
    "compile_phrase",
    "conversation_asked_for_human",
    "languages",
    "normalise",
]


def _load() -> dict[str, dict[str, list[str]]]:
    return phrase_file(DATA_FILE)


def _builtin(language: str) -> PhraseSet:
    return phrase_file_set(DATA_FILE, language)


def languages() -> list[str]:
    """The languages with a built-in phrase list."""
    return sorted(_load())


def _base_language(language: str | None) -> str | None:
    if not language:
        return None
    base = language.replace("_", "-").split("-")[0].casefold()
    return base if base in _load() else None


def asked_for_human(
    text: str,
    language: str | None = None,
    extra_phrases: Mapping[str, list[str]] | None = None,
) -> bool:
    """True if ``text`` (one customer turn) asks to be handed to a human.

    ``language`` is a BCP 47 tag (``es-MX`` uses the ``es`` list). When it is None or has no
    built-in list, every language is tried. ``extra_phrases`` maps a language code to more
    phrases in the data-file syntax (an organization's own wording); they use that language's
    negations, and are tried whenever that language is.
    """
    normalised = normalise(text, sentences=True)
    if not normalised:
        return False
    base = _base_language(language)
    known = languages()
    extra = dict(extra_phrases or {})
    candidates = [base] if base is not None else sorted(set(known) | set(extra))
    words = set(normalised.split())  # once, not once per language tried
    for code in candidates:
        if code in known and _builtin(code).matches(normalised, words):
            return True
        if extra.get(code) and extra_phrase_set(DATA_FILE, code, extra[code]).matches(
            normalised, words
        ):
            return True
    return False


def phrases_merged(*sources: Mapping[str, list[str]] | None) -> dict[str, list[str]]:
    """Several sources of extra phrases (language -> phrases) as one, each language's phrases
    in the order first seen, without repeats (the organization's, then the operation's)."""
    merged: dict[str, list[str]] = {}
    for source in sources:
        for language, phrases in (source or {}).items():
            bucket = merged.setdefault(language, [])
            bucket.extend(p for p in phrases if p not in bucket)
    return merged


def conversation_asked_for_human(
    messages: Iterable[Mapping],
    language: str | None = None,
    extra: Mapping[str, list[str]] | None = None,
) -> bool:
    """True if any customer turn of a transcript (FORMATS.md §1 ``messages``) asks for a human.

    AI and human-agent turns are ignored: an AI saying "let me connect you to an agent" is
    not the customer asking.
    """
    return any(
        message.get("role") == CUSTOMER_ROLE
        and isinstance(message.get("text"), str)
        and asked_for_human(message["text"], language, extra)
        for message in messages
    )
