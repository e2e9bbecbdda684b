"""Survey-complaint detection measured on corpora of survey comments, and the phrase engine's
gaps, open word endings, named terms and sentences.

Each corpus (tests/metrics/data/complaint_corpus_*.json) was written for the purpose by its own
writer who had not seen the phrase lists: 25 - 35 complaints ("could not reach a person", "the
bot did not understand me") and as many other comments per language (en, sv, de, fr, es, nl,
pt), many of the others near misses ("reaching a person was easy", "I don't understand the
fee"). Recall measured before any phrase was written for a corpus, then after widening on it:

- a: the lists of round 7 were written on it;
- b, c (round 7): 0.69 and 0.71 first (precision 0.92, 0.97; the lists before round 7: 0.21,
  0.19), and outcomes added ("... and was connected within a minute" is no complaint);
- d (round 8), typed in a hurry (no apostrophes or accents, typos, shortcuts, dialect,
  sarcasm, the complaint in a later sentence): 0.78 first; sentences are now kept apart,
  and the lists widened (irrelevant answers, refusing to pass on, no phone number);
- e (round 8), formal and indirect ("At no point was I offered the possibility of speaking to
  a member of staff"): 0.37 first. Widened in two passes on its halves; after the first, the
  half not yet used read 0.56.

tests/metrics/data/held_out/complaint_corpus_f.json, a mix of all these registers written
independently afterwards, was never used to write phrases: it is the honest figure for
wording not seen (round 7's lists 0.35, round 8's 0.62, precision 0.99), and a floor guards it.
"""

import re
import time
from pathlib import Path

import pytest

from accounts.phrases import PhraseSet, anchor_words, compile_phrase, expand_terms, normalise
from metrics.ingest import complaints
from tests.phrase_corpora import LANGUAGES, every_phrase_matches, load, score, texts

DATA = Path(__file__).parent / "data"
CORPORA = sorted(DATA.glob("complaint_corpus_*.json"))


def test_there_are_five_corpora_in_seven_languages():
    assert len(CORPORA) == 5
    for path in CORPORA:
        assert sorted(load(path)) == LANGUAGES


@pytest.mark.parametrize("path", CORPORA, ids=lambda p: p.stem)
def test_complaints_are_found_and_other_comments_left_alone(path):
    # Every language is tried whatever the comment's language.
    result = score(path, lambda text, language: complaints.is_complaint(text))
    assert result.recall >= 0.9, result
    assert result.precision >= 0.95, result
    assert min(result.recall_by_language.values()) >= 0.8, result


HELD_OUT = DATA / "held_out" / "complaint_corpus_f.json"


def test_the_held_out_corpus_reads_as_measured_when_it_was_first_used():
    # Not a target to tune to: phrases are never written on this corpus. The floor keeps a
    # change of the engine or the lists from losing what held-out wording is found.
    result = score(HELD_OUT, lambda text, language: complaints.is_complaint(text))
    assert result.recall >= 0.58, result
    assert result.precision >= 0.97, result


def _brute_force(text: str) -> bool:
    """Every built-in phrase of every language tried, no index."""
    return every_phrase_matches(
        (complaints._builtin(code) for code in complaints.languages()), text
    )


def test_the_anchor_index_never_skips_a_phrase_that_matches():
    every = texts(CORPORA)
    every += ["Helpful, thanks!", "", "bot", "missverstanden", "Der Chatbot hat mich missverstand"]
    assert [complaints.is_complaint(t) for t in every] == [_brute_force(t) for t in every]


def test_a_gap_stands_for_up_to_n_words():
    phrases = PhraseSet(["(couldn_t|can_t) ~2 reach ~3 (human|person)"], [])
    assert phrases.matches(normalise("I couldn't really ever reach a real human"))
    assert phrases.matches(normalise("can't reach a person"))
    assert not phrases.matches(normalise("couldn't, as it happens, reach a human"))
    assert not phrases.matches(normalise("couldn't reach the shop, or a single human"))


def test_a_star_ends_a_word_openly():
    phrases = PhraseSet(["der (bot|chatbot) hat mich missverst*"], [])
    assert phrases.matches(normalise("Der Bot hat mich missverstanden."))
    assert phrases.matches(normalise("der chatbot hat mich missverstand"))
    assert not phrases.matches(normalise("der bot hat mich verstanden"))
    assert anchor_words("der (bot|chatbot) hat mich missverst*") == {"missverst*"}


def test_a_word_that_begins_with_two_stems_looks_for_the_phrases_of_both():
    phrases = PhraseSet(["kontakt* ~2 niemand", "niemand ~2 kontaktier*"], [])
    text = normalise("niemand zum kontaktieren")
    assert phrases.anchors.candidates(text, set(text.split())) == [0, 1]
    assert phrases.matches(text)
    # Screened, only the phrase that matches somewhere in the text is left to try.
    assert phrases.anchors.candidates(text, set(text.split()), screened=True) == [1]


def test_named_terms_expand_and_unknown_or_unquoted_ones_are_refused():
    terms = {"human": ["human", "person"], "block": ["couldn_t", False]}
    assert expand_terms("no {human}", terms) == "no (human|person)"
    with pytest.raises(ValueError, match="no term named 'bot'"):
        expand_terms("{bot} failed", terms)
    with pytest.raises(ValueError, match="quote every word"):
        expand_terms("{block} reach", terms)


@pytest.mark.parametrize("phrase", ["~2 reach human", "reach human ~2", "reach ~7 human"])
def test_a_gap_first_last_or_too_long_is_refused(phrase):
    with pytest.raises(ValueError, match="a gap"):
        compile_phrase(phrase)


def test_a_phrase_has_at_most_three_gaps_and_stays_fast_on_a_hostile_comment():
    with pytest.raises(ValueError, match="at most 3 gaps"):
        compile_phrase("a ~6 a ~6 a ~6 a ~6 b")
    worst = PhraseSet(["a ~6 a ~6 a ~6 b"], [])
    started = time.process_time()
    assert not worst.matches(normalise("a " * 2000 + "c"))
    assert worst.matches(normalise("a x a y y a z b"))
    # Lenient: 2,000 words take well under a second here.
    assert time.process_time() - started < 5


def test_a_negation_inside_the_match_cancels_it():
    assert not complaints.is_complaint("I didn't need to talk to anyone, the bot sorted it")
    assert not complaints.is_complaint("No problem getting through to a person.")
    assert complaints.is_complaint("I needed to talk to someone and there was no way")


def test_the_organizations_phrases_may_use_the_new_syntax():
    extra = {"sv": ["kom ~2 aldrig ~2 (klarna*|kundtjanst)"]}
    assert complaints.is_complaint("Jag kom faktiskt aldrig fram till Klarnateamet", extra)
    assert not complaints.is_complaint("Jag kom faktiskt aldrig fram till Klarnateamet")


def test_an_outcome_right_after_the_words_of_a_complaint_cancels_it():
    assert not complaints.is_complaint("I wanted to talk to someone and got one within a minute")
    assert not complaints.is_complaint(
        "Je voulais parler à quelqu'un et j'ai été mis en relation en moins d'une minute."
    )
    german = "Wollte einen Menschen sprechen, die Weiterleitung lief reibungslos"
    assert not complaints.is_complaint(german)
    # A long wait is not an outcome.
    assert complaints.is_complaint("I couldn't reach anyone within 40 minutes")
    assert complaints.is_complaint("Niemanden erreicht innerhalb von 30 Minuten")


def test_a_negation_or_an_outcome_in_another_sentence_does_not_cancel_a_complaint():
    assert complaints.is_complaint("Easy order. Couldn't reach anyone.")
    assert complaints.is_complaint("I couldn't reach anyone. Within a minute the chat closed.")
    assert complaints.is_complaint("Sin problema con el pedido! No pude hablar con nadie")
    # In the same sentence they still do.
    assert not complaints.is_complaint("Easy, couldn't have been smoother to reach anyone")
    assert not complaints.is_complaint("I couldn't reach anyone, within a minute I had an agent")


def test_a_phrase_does_not_match_across_the_end_of_a_sentence():
    phrases = PhraseSet(["(couldn_t|can_t) ~2 reach ~3 (human|person)"], [])
    assert phrases.matches(normalise("I couldn't reach a real person.", sentences=True))
    assert not phrases.matches(
        normalise("Couldn't reach the app. Human support was great.", sentences=True)
    )
    assert not phrases.matches(normalise("Couldn't log in. Reach a human? Easy.", sentences=True))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Hi. Agent please!", "hi . agent please"),
        ("Version 3.5 of the app; site.com works", "version 3 5 of the app . site com works"),
        ("Hola.¿Puedo hablar con alguien?", "hola . puedo hablar con alguien"),
        ("first line\nsecond line...", "first line . second line"),
        ("!!! ??? ...", ""),
    ],
)
def test_sentences_are_kept_apart_by_one_token(text, expected):
    assert normalise(text, sentences=True) == expected
    assert normalise(text) == expected.replace(" . ", " ")


def test_an_outcome_just_before_the_words_of_a_complaint_cancels_it_too():
    assert not complaints.is_complaint(
        "Took ages, but in the end within a minute I had the agent I wanted to talk to"
    )
    assert not complaints.is_complaint(
        "Till slut fick jag en handläggare inom en minut efter att jag skrev agent"
    )
    # Not from another sentence.
    assert complaints.is_complaint(
        "Delivered within a minute of the estimate. Couldn't reach anyone"
    )


def test_stretched_letters_count_once():
    assert normalise("HUMAAAN pleeease!!!") == "human please"
    assert normalise("Baaad bot, nooo human") == "bad bot no human"
    assert normalise("10000 and www") == "10000 and w"  # digits keep their runs


def test_the_evidence_is_the_words_that_made_the_complaint():
    assert complaints.complaint_evidence("Nice app. The bot had no clue!") == "bot had no clue"
    assert complaints.complaint_evidence("Nice app, thanks") is None
    assert complaints.complaint_evidence("") is None


def test_the_stem_search_finds_every_word_that_begins_with_a_stem():
    from accounts.phrases import _prefix_tree

    stems = ["kontakt", "kontaktier", "miss", "missverst", "a.b"]
    pattern = re.compile(r"(?<!\S)" + _prefix_tree(stems) + r"\S*")
    text = "kontaktieren kontakt kontra missing missverstanden mis a.bc ab"
    flat = re.compile(r"(?<!\S)(?:" + "|".join(map(re.escape, stems)) + r")\S*")
    assert pattern.findall(text) == flat.findall(text)
    assert pattern.findall(text) == ["kontaktieren", "kontakt", "missing", "missverstanden", "a.bc"]


HANDOFF_FILE = Path(__file__).parents[2] / "sampling" / "data" / "handoff_phrases.yaml"


@pytest.mark.parametrize("path", [complaints.DATA_FILE, HANDOFF_FILE], ids=lambda p: p.stem)
def test_every_built_in_phrase_compiles(path):
    # A phrase is compiled when a text first holds its anchor words, not when its list is
    # loaded: a mistake in a data file must still be found here, not by a customer's comment.
    from accounts.phrases import phrase_file

    for language, entry in phrase_file(path).items():
        for key in ("phrases", "negations", "outcomes", "whole"):
            for phrase in entry[key]:
                assert compile_phrase(phrase).pattern, (language, key, phrase)


def test_a_phrase_is_compiled_only_when_a_text_may_match_it():
    phrases = PhraseSet(["reach ~2 (human|person)", "talk to (agent|operator)"], [])
    assert not phrases.matches(normalise("The delivery was late."))
    assert phrases.phrases.patterns == [None, None]
    assert phrases.matches(normalise("Could not reach a human."))
    assert phrases.phrases.patterns[0] is not None
    assert phrases.phrases.patterns[1] is None


def test_no_phrase_that_matches_a_text_is_ruled_out_before_it_is_tried():
    # The index tries a phrase only if the text holds one of its anchor words: checked phrase
    # by phrase (not only the verdict), over every comment and request for a human of the
    # corpora (held-out ones included) and some made for the edges.
    from sampling import handoff_phrases

    corpora = sorted(DATA.glob("complaint_corpus_*.json")) + [HELD_OUT]
    handoff_data = Path(__file__).parents[1] / "sampling" / "data"
    corpora += sorted(handoff_data.glob("handoff_corpus_*.json"))
    corpora += sorted((handoff_data / "held_out").glob("handoff_corpus_*.json"))
    every = texts(corpora) + [
        "Kontaktieren? Niemand.",
        "couldn't reach a human, talk to an agent please",
        "der chatbot hat mich missverstanden",
    ]
    anchors, owners = complaints._all_builtin()
    sets = [(anchors, list(owners))]
    for code in handoff_phrases.languages():
        compiled = handoff_phrases.phrase_file_set(handoff_phrases.DATA_FILE, code)
        sets.append((compiled.anchors, [(compiled, i) for i in range(len(compiled.phrases))]))
    tried = ruled_out = 0
    for text in every:
        normalised = normalise(text, sentences=True)
        words = set(normalised.split())
        for anchors, owners in sets:
            candidates = set(anchors.candidates(normalised, words))
            screened = set(anchors.candidates(normalised, words, screened=True))
            assert screened <= candidates
            for index, (compiled, own) in enumerate(owners):
                if compiled.phrases.sources[own] and compiled.phrase_matches(own, normalised):
                    tried += 1
                    assert index in candidates, (text, compiled.phrases.sources[own])
                    # The screen (all of an anchor's phrases searched for at once) keeps it.
                    assert index in screened, (text, compiled.phrases.sources[own])
            ruled_out += len(candidates - screened)
    assert tried > 500
    # The screen rules out phrases that hold an anchor word and match nowhere in the text.
    assert ruled_out > 100


def test_normalise_is_its_definition_on_random_text():
    # Case-folded, accents and stretched letters gone, words (letters and digits) separated by
    # single spaces, and with sentences a "." between two sentences that hold words: checked
    # against that definition written plainly, on random text made of the characters that
    # matter (sentence ends, line breaks, Spanish marks, "_", accents, other scripts' digits).
    import random
    import re
    import unicodedata

    from accounts.phrases import _SENTENCE_BREAK, SENTENCE_END

    def plainly(text: str, sentences: bool) -> str:
        folded = unicodedata.normalize("NFKD", text.casefold())
        folded = "".join(c for c in folded if not unicodedata.combining(c))
        folded = re.sub(r"([^\W\d_])\1{2,}", r"\1", folded)
        words = lambda part: " ".join(re.sub(r"[^\w]|_", " ", part).split())  # noqa: E731
        if not sentences:
            return words(folded)
        parts = [words(part) for part in _SENTENCE_BREAK.split(folded)]
        return f" {SENTENCE_END} ".join(part for part in parts if part)

    alphabet = [*"ab c.!?;\u2026\u3002\uff01\r\n\u00a1\u00bf_-'\u00e9\u0301\u00df3\u0661 \t\u00a0x"]
    alphabet += ["...", "a.b", "aaa", "Ü", "  "]
    rng = random.Random(14)
    for _ in range(20_000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 25)))
        for sentences in (True, False):
            assert normalise(text, sentences=sentences) == plainly(text, sentences), text
