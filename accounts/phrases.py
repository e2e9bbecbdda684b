"""Multilingual phrase matching over free text: the engine behind "asked for a human"
(sampling.handoff_phrases) and "could not reach a person" (metrics.ingest.complaints).

Text is normalised (case-folded, accents removed, punctuation turned into spaces) and phrases
match whole words. The phrase syntax, word by word: ``word``; ``(a|b|c)`` one of the
alternatives, ``_`` standing for a space inside one; ``word?`` or ``(a|b)?`` optional (not as
the last word); ``word*`` (also inside alternatives) any word that begins so (``verstand*``:
"verstanden", "verstand"); ``~N`` (N from 1 to 6) up to N words of any kind, neither first nor
last. A phrase data file may name lists of alternatives once per language (``terms``) and use
them as ``{name}``. A negation among the few words right before a match (or overlapping it)
cancels that match, and so does an outcome among the few words around it ("I wanted to
talk to someone and was connected *within a minute*"). A ``whole`` phrase counts only when it
is the whole text or one whole sentence ("Hi. Agent please!", not "human error"). Nothing
matches across the end of a sentence, and negations and outcomes count only in the match's
own sentence ("No problem with the order. I couldn't reach anyone" is a complaint).
"""

import re
import unicodedata
from collections.abc import Iterable
from functools import cache, cached_property, lru_cache
from pathlib import Path

import yaml

NEGATION_WINDOW_WORDS = 4
OUTCOME_WINDOW_WORDS = 12


# Between sentences in ``normalise(..., sentences=True)``: a token no word can be.
SENTENCE_END = "."
# A sentence ends at . ! ? ; or … before a space or the end (not "3.5", "site.com"), at a line
# break, and before Spanish ¿ and ¡.
_SENTENCE_BREAK = re.compile(r"[.!?;\u2026\u3002\uff01\uff1f]+(?=\s|$)|[\r\n]+|[\u00a1\u00bf]")

# A letter written three or more times in a row stands for itself once: none of the seven
# languages' words the phrases name has such a run.
_STRETCHED = re.compile(r"([^\W\d_])\1{2,}")
# A word: a run of letters and digits (word characters but "_"); everything else separates
# words. With a sentence break as the alternative (an empty group then), both at once.
_WORD = re.compile(r"[^\W_]+")
_WORD_OR_BREAK = re.compile(r"([^\W_]+)|" + _SENTENCE_BREAK.pattern)


def normalise(text: str, *, sentences: bool = False) -> str:
    """Case-fold, strip accents, shorten stretched letters, and keep only letters and digits
    separated by single spaces; with ``sentences``, a ``SENTENCE_END`` token between
    sentences (what phrases match)."""
    folded = text.casefold()
    if not folded.isascii():  # ASCII has no accents to strip
        folded = unicodedata.normalize("NFKD", folded)
        folded = "".join(c for c in folded if not unicodedata.combining(c))
    if _STRETCHED.search(folded):  # rare: looking is cheaper than rewriting every text
        folded = _STRETCHED.sub(r"\1", folded)  # "humaaan", "pleeease"
    if not sentences:
        return " ".join(_WORD.findall(folded))
    # One pass: the words, and "" for each sentence break (what splitting at the breaks and
    # then into words gave, in half the time); a break counts only between two words.
    words: list[str] = []
    ended = False
    for token in _WORD_OR_BREAK.findall(folded):
        if not token:
            ended = True
            continue
        if ended and words:
            words.append(SENTENCE_END)
        ended = False
        words.append(token)
    return " ".join(words)


def _same_sentence(words: list[str], *, after: bool) -> list[str]:
    """Of the window of ``words`` right before a match (``after``: right after it), those in
    the match's own sentence."""
    if SENTENCE_END not in words:
        return words
    if after:
        return words[: words.index(SENTENCE_END)]
    return words[len(words) - words[::-1].index(SENTENCE_END) :]


MAX_GAP_WORDS = 6
# Gaps multiply the ways a phrase can match a stretch of text (7 per gap): a bound keeps an
# organization's own phrase from making a comment slow to judge.
MAX_GAPS = 3
_GAP = re.compile(r"~([1-9])")


def compile_phrase(phrase: str) -> re.Pattern[str]:
    """Compile one phrase of the data-file syntax to a regex over normalised text.

    Raises ValueError for an empty phrase or one that ends with an optional word.
    """
    tokens = phrase.split()
    if not tokens:
        raise ValueError("empty phrase")
    if sum(1 for token in tokens if _GAP.fullmatch(token)) > MAX_GAPS:
        raise ValueError(f"phrase {phrase!r}: at most {MAX_GAPS} gaps (~N)")
    parts: list[str] = []
    for position, token in enumerate(tokens):
        gap = _GAP.fullmatch(token)
        if gap:
            words = int(gap.group(1))
            if position in (0, len(tokens) - 1) or words > MAX_GAP_WORDS:
                raise ValueError(
                    f"phrase {phrase!r}: a gap (~1 to ~{MAX_GAP_WORDS}) stands between two words"
                )
            parts.append(rf"(?:\w+ ){{0,{words}}}")  # words, not a sentence end
            continue
        optional = token.endswith("?")
        token = token.removesuffix("?")
        if token.startswith("(") and token.endswith(")"):
            alternatives = [a for a in token[1:-1].split("|") if _open_word(a)]
        else:
            alternatives = [token]
        if not alternatives or not all(_open_word(a) for a in alternatives):
            raise ValueError(f"phrase {phrase!r}: word {position + 1} is empty after normalising")
        group = "(?:" + _prefix_tree(_open_word(a) for a in alternatives) + ")"
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


# Words so frequent in the seven languages that a phrase is not looked for because of them.
_COMMON_WORDS = frozenset(
    " ".join(
        (
            "a an the it i we to no not get got me my is was de la le el en et e o um uma ne",
            "pas il ca ni niet het hij een geen die der das er es sie nicht kein ein eine inte",
            "den det ett att jag vi und och y que se te lo mig mich mij ik je nao",
        )
    ).split(" ")
)


def _anchor(alternative: str) -> str:
    """The word of one alternative that any text it matches holds: its longest; a trailing
    ``*`` makes its last word a beginning (``word*``)."""
    words = _open_word(alternative).split()
    return max(words, key=lambda word: len(word.removesuffix("*")))


def anchor_words(phrase: str) -> set[str]:
    """Words one of which every match of ``phrase`` holds (``word*``: a word that begins so):
    those of the required word whose alternatives are the least common and the longest."""
    best: tuple | None = None
    for token in phrase.split():
        if token.endswith("?") or _GAP.fullmatch(token):
            continue
        alternatives = token[1:-1].split("|") if token.startswith("(") else [token]
        anchors = {_anchor(a) for a in alternatives if _open_word(a)}
        if not anchors:
            continue
        score = (
            sum(a in _COMMON_WORDS for a in anchors),
            -min(len(a.removesuffix("*")) for a in anchors),
            len(anchors),
        )
        if best is None or score < best[0]:
            best = (score, anchors)
    return best[1] if best else set()


@cache  # the lists of a term recur in many phrases: each is normalised once
def _open_word(alternative: str) -> str:
    """One alternative of the data-file syntax, normalised; a trailing ``*`` kept (open end)."""
    text = normalise(alternative.removesuffix("*").replace("_", " "))
    return text + "*" if alternative.endswith("*") and text else text


def _prefix_tree(words: Iterable[str]) -> str:
    """A regex matching any of ``words`` (normalised; a trailing ``*``: any word that begins
    so), its alternatives nested by shared beginnings. Python's regex engine tries a flat
    alternation's branches one by one: for the few hundred stems of the anchor index the tree
    is about five times faster, and phrases' long lists of alternatives gain too."""
    tree: dict = {}
    for word in words:
        node = tree
        for char in word.removesuffix("*"):
            node = node.setdefault(char, {})
        node["*" if word.endswith("*") else ""] = {}

    def pattern(node: dict) -> str:
        branches = [
            re.escape(char) + pattern(child)
            for char, child in sorted(node.items())
            if char not in ("", "*")
        ]
        if "*" in node:
            branches.append(r"\S*")
        optional = "" in node and "*" not in node
        if not branches:
            return ""
        if len(branches) == 1 and not optional:
            return branches[0]
        return "(?:" + "|".join(branches) + ")" + ("?" if optional else "")

    return pattern(tree)


class Anchors:
    """Which phrases a text may match, from the anchor words it holds: most texts hold none,
    and a set lookup per word (plus one search for the ``word*`` beginnings) rules phrases out
    far faster than a search for each."""

    def __init__(self, phrases: list[str]) -> None:
        self.exact: dict[str, list[int]] = {}
        self.stems: dict[str, list[int]] = {}
        for index, phrase in enumerate(phrases):
            for word in anchor_words(phrase):
                table = self.stems if word.endswith("*") else self.exact
                table.setdefault(word.removesuffix("*"), []).append(index)
        # One search finds the words that begin with some stem (rare); each is then tried
        # against every stem length, since a word may begin with several ("kontaktieren":
        # "kontakt" and "kontaktier").
        self.stem_lengths = sorted({len(stem) for stem in self.stems})
        self.stem_pattern = (
            re.compile(r"(?<!\S)" + _prefix_tree(self.stems) + r"\S*") if self.stems else None
        )
        self.sources = phrases
        self._screens: dict[tuple[bool, str], re.Pattern[str]] = {}

    def candidates(
        self, normalised_text: str, words: frozenset[str] | set[str], *, screened: bool = False
    ) -> list[int]:
        """The indexes of the phrases ``normalised_text`` (its set of ``words``) may match.

        ``screened``: only those of the anchor words whose phrases, searched for all at once
        (`_screen`), match the text somewhere. Every phrase that matches is still among them,
        in the same order, so a caller trying them in turn finds the same first match; but a
        text that holds an anchor word and matches none of its phrases (most comments: "for a
        person", "understood me") costs one search instead of one per phrase."""
        found: set[int] = set()
        for word in words & self.exact.keys():
            if not screened or self._screen(False, word).search(normalised_text):
                found.update(self.exact[word])
        if self.stem_pattern is not None:
            for word in set(self.stem_pattern.findall(normalised_text)):
                for length in self.stem_lengths:
                    stem = word[:length]
                    if stem not in self.stems:
                        continue
                    if not screened or self._screen(True, stem).search(normalised_text):
                        found.update(self.stems[stem])
        return sorted(found)

    def _screen(self, stem: bool, word: str) -> re.Pattern[str]:
        """One regex for every phrase the anchor ``word`` indexes (a ``stem``: a word's
        beginning): it finds a match wherever one of them would. Compiled on first use."""
        key = (stem, word)
        screen = self._screens.get(key)
        if screen is None:
            head, tail = r"(?<!\S)", r"(?!\S)"
            bodies = []
            for index in (self.stems if stem else self.exact)[word]:
                pattern = compile_phrase(self.sources[index]).pattern
                bodies.append(pattern.removeprefix(head).removesuffix(tail))
            screen = self._screens[key] = re.compile(f"{head}(?:{'|'.join(bodies)}){tail}")
        return screen


class _Compiled:
    """A list of phrases compiled on first use: a comment seldom holds the anchor words of more
    than a few, and compiling the thousand built-in ones up front took about 0.7 s of a
    process's first ingest (a file of a hundred rows waited for all of them)."""

    def __init__(self, phrases: list[str]) -> None:
        self.sources = phrases
        self.patterns: list[re.Pattern[str] | None] = [None] * len(phrases)

    def __len__(self) -> int:
        return len(self.sources)

    def __getitem__(self, index: int) -> re.Pattern[str]:
        pattern = self.patterns[index]
        if pattern is None:
            pattern = self.patterns[index] = compile_phrase(self.sources[index])
        return pattern


class PhraseSet:
    """Compiled phrases of one language with its negations (looked for before a match) and
    outcomes (looked for after one)."""

    def __init__(
        self,
        phrases: Iterable[str],
        negations: Iterable[str],
        outcomes: Iterable[str] = (),
        whole: Iterable[str] = (),
    ) -> None:
        self.phrases = _Compiled(list(phrases))
        # Compiled on first use too: most texts match no phrase, and then neither a negation
        # nor an outcome is looked for (the seven languages' lists took ~0.06 s to compile).
        self._sources = (list(whole), list(negations), list(outcomes))

    @cached_property
    def whole(self) -> list[re.Pattern[str]]:
        return [compile_phrase(w) for w in self._sources[0]]

    @cached_property
    def negations(self) -> list[re.Pattern[str]]:
        return [compile_phrase(n) for n in self._sources[1]]

    @cached_property
    def outcomes(self) -> list[re.Pattern[str]]:
        return [compile_phrase(o) for o in self._sources[2]]

    @cached_property
    def anchors(self) -> Anchors:
        return Anchors(self.phrases.sources)

    def matches(self, normalised_text: str, words: frozenset[str] | set[str] | None = None) -> bool:
        """Whether the text matches a phrase that no negation cancels; ``words``, the set of the
        text's words, when the caller has it already."""
        return self.first_match(normalised_text, words) is not None

    def whole_matches(self, normalised_text: str) -> bool:
        """Whether a ``whole`` phrase is the whole text or one whole sentence of it ("Hi. Agent
        please!")."""
        if not self.whole:
            return False
        pieces = {normalised_text.replace(f" {SENTENCE_END} ", " ")}
        pieces.update(normalised_text.split(f" {SENTENCE_END} "))
        return any(pattern.fullmatch(piece) for pattern in self.whole for piece in pieces)

    def first_match(
        self, normalised_text: str, words: frozenset[str] | set[str] | None = None
    ) -> str | None:
        """The words of the first match no negation cancels (the evidence ``matches`` gives
        as True), or None."""
        if self.whole_matches(normalised_text):
            return normalised_text.replace(f" {SENTENCE_END} ", " ")
        if words is None:
            words = set(normalised_text.split())
        for index in self.anchors.candidates(normalised_text, words, screened=True):
            found = self.phrase_match(index, normalised_text)
            if found is not None:
                return found
        return None

    def phrase_matches(self, index: int, normalised_text: str) -> bool:
        """Whether phrase ``index`` matches the text somewhere no negation cancels."""
        return self.phrase_match(index, normalised_text) is not None

    def phrase_match(self, index: int, normalised_text: str) -> str | None:
        """The words where phrase ``index`` matches the text and no negation cancels it."""
        for match in self.phrases[index].finditer(normalised_text):
            # The window includes the match itself, so that a negation overlapping the
            # phrase ("nao preciso" + "preciso falar com um atendente") is seen.
            start = match.start()
            preceding = normalised_text[max(0, start - 30 * NEGATION_WINDOW_WORDS) : start]
            before = _same_sentence(preceding.split()[-NEGATION_WINDOW_WORDS:], after=False)
            window = " ".join([*before, match.group()])
            if any(neg.search(window) for neg in self.negations):
                continue
            if self.outcomes and self._outcome_near(normalised_text, match.start(), match.end()):
                continue
            return match.group()
        return None

    def _outcome_near(self, normalised_text: str, start: int, end: int) -> bool:
        """Whether an outcome stands in the match's sentence within a few words after it or
        before it ("... got an agent within a minute after typing agent")."""
        reach = 30 * OUTCOME_WINDOW_WORDS
        following = normalised_text[end : end + reach].split()[:OUTCOME_WINDOW_WORDS]
        preceding = normalised_text[max(0, start - reach) : start].split()[-OUTCOME_WINDOW_WORDS:]
        windows = (
            " ".join(_same_sentence(following, after=True)),
            " ".join(_same_sentence(preceding, after=False)),
        )
        return any(outcome.search(window) for outcome in self.outcomes for window in windows)


@cache
def phrase_file(path: Path) -> dict[str, dict[str, list[str]]]:
    """A phrase data file (language -> phrases and negations), read once per process."""
    with path.open(encoding="utf-8") as handle:
        # libyaml's parser when PyYAML has it: the pure-Python one took ~0.15 s per file.
        data = yaml.load(handle, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # noqa: S506
    return {
        language: {
            key: [expand_terms(p, entry.get("terms") or {}) for p in entry.get(key) or []]
            for key in ("phrases", "negations", "outcomes", "whole")
        }
        for language, entry in data.items()
    }


_TERM = re.compile(r"\{(\w+)\}")


def expand_terms(phrase: str, terms: dict[str, list[str]]) -> str:
    """``phrase`` with each ``{name}`` replaced by the alternatives ``terms[name]`` lists, as
    one ``(a|b|c)`` word (``{name}?`` optional). Raises ValueError for a name not listed."""

    def alternatives(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in terms:
            raise ValueError(f"phrase {phrase!r}: no term named {name!r}")
        words = terms[name]
        if not all(isinstance(word, str) for word in words):  # YAML reads a bare no as False
            raise ValueError(f"term {name!r}: quote every word ({words!r})")
        return "(" + "|".join(words) + ")"

    return _TERM.sub(alternatives, phrase)


@cache
def phrase_file_set(path: Path, language: str) -> PhraseSet:
    """The compiled built-in phrases of one language of a phrase data file."""
    entry = phrase_file(path)[language]
    return PhraseSet(entry["phrases"], entry["negations"], entry["outcomes"], entry["whole"])


def extra_phrase_set(path: Path, language: str, phrases: list[str]) -> PhraseSet:
    """An organization's own ``phrases`` for ``language``, judged with the data file's negations
    and outcomes of that language (none for a language the file has no list for)."""
    entry = phrase_file(path).get(language, {})
    return phrase_set_cached(
        tuple(phrases), tuple(entry.get("negations", ())), tuple(entry.get("outcomes", ()))
    )


@lru_cache(maxsize=256)
def phrase_set_cached(
    phrases: tuple[str, ...], negations: tuple[str, ...], outcomes: tuple[str, ...] = ()
) -> PhraseSet:
    """An organization's own phrases, compiled once per distinct list."""
    return PhraseSet(phrases, negations, outcomes)
