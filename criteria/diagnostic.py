"""The indicator diagnostic: can what a team tracks today reveal "the AI should have stopped"?

A catalogue written for department heads. Each entry says whether the indicator can reveal
the problem, why, and which Stopline indicator (with a starting range) closes the gap.
"""

from dataclasses import dataclass, field

ESSENTIAL = "essential"
PARTIAL = "partial"
CANNOT = "cannot"

VERDICT_TEXT = {
    ESSENTIAL: "Essential: it can reveal the problem",
    PARTIAL: "Partly: it can hint at the problem, late or blurred",
    CANNOT: "Cannot reveal the problem",
}

# What Stopline suggests adding, with a starting range a team can then argue about.
SUGGESTIONS = {
    "escalation_rate": "Human-escalation rate with a two-sided range, e.g. 8 %–25 %: "
    "alarm when it falls too low as well as too high.",
    "fcr_split": "First-contact resolution split into simple (e.g. at least 80 %) and complex "
    "cases (e.g. at least 50 %), never blended.",
    "review_score": "Senior reviewers score sampled transcripts each week; e.g. at least 80 % "
    "acceptable, with missed handoffs counted.",
}


@dataclass(frozen=True)
class CatalogueEntry:
    key: str
    name: str
    verdict: str
    why: str
    add: list[str] = field(default_factory=list)


CATALOGUE = [
    CatalogueEntry(
        "aht",
        "Average handling time",
        CANNOT,
        "It measures speed. An AI that keeps a customer it should have handed over still "
        "closes the chat quickly, so handling time looks better exactly when the problem "
        "grows.",
        ["escalation_rate", "review_score"],
    ),
    CatalogueEntry(
        "containment",
        "Containment / deflection rate",
        CANNOT,
        "It counts every conversation the AI kept as a success, including customers who "
        "wanted a person and gave up. When handoffs break, containment rises and looks like "
        "good news.",
        ["escalation_rate", "review_score"],
    ),
    CatalogueEntry(
        "csat",
        "Customer satisfaction (CSAT)",
        PARTIAL,
        "Few customers answer surveys, and those stuck with the AI often leave without "
        "answering. It drops late and does not say whether a person was needed.",
        ["review_score"],
    ),
    CatalogueEntry(
        "fcr_blended",
        "First-contact resolution (blended)",
        PARTIAL,
        "Simple cases are the majority and usually go well, so the average stays healthy "
        "while complex cases (disputes, slow refunds) break underneath it.",
        ["fcr_split"],
    ),
    CatalogueEntry(
        "escalation",
        "Escalation rate (to a human)",
        ESSENTIAL,
        "It moves directly when the AI stops handing over. It only protects you with a "
        "lower bound too: a rate falling towards zero is the warning sign, not a saving.",
        ["escalation_rate"],
    ),
    CatalogueEntry(
        "transfer",
        "Transfer rate",
        PARTIAL,
        "Close to the escalation rate, but it often mixes transfers between bots or queues "
        "with handoffs to people, and is rarely watched for falling too low.",
        ["escalation_rate"],
    ),
    CatalogueEntry(
        "repeat_contact",
        "Repeat-contact rate",
        PARTIAL,
        "Customers who were not helped come back, so it rises eventually, but days later and "
        "blended over simple and complex cases.",
        ["fcr_split"],
    ),
    CatalogueEntry(
        "cost_per_contact",
        "Cost per contact",
        CANNOT,
        "It falls when the AI keeps more conversations, whether or not it should. It rewards "
        "exactly the failure Stopline watches for.",
        ["escalation_rate", "review_score"],
    ),
]
CATALOGUE_BY_KEY = {e.key: e for e in CATALOGUE}


@dataclass
class DiagnosticResult:
    entries: list[CatalogueEntry]
    missing: list[tuple[str, str]]  # (suggestion key, text) the team does not cover yet

    @property
    def covered_essential(self) -> bool:
        return any(e.verdict == ESSENTIAL for e in self.entries)


def custom_entry(name: str) -> CatalogueEntry:
    return CatalogueEntry(
        f"custom:{name}",
        name,
        PARTIAL,
        "Not in our catalogue. Ask one question of it: does it move when the AI keeps a "
        "customer it should have handed to a person, for complex cases as well as simple "
        "ones? If not, it cannot reveal the problem on its own.",
        ["escalation_rate", "fcr_split", "review_score"],
    )


def diagnose(keys: list[str], custom: list[str] | None = None) -> DiagnosticResult:
    entries = [CATALOGUE_BY_KEY[k] for k in keys if k in CATALOGUE_BY_KEY]
    entries += [custom_entry(n.strip()[:80]) for n in (custom or []) if n.strip()]
    # Each Stopline indicator is "covered" only by an essential entry of the same kind.
    covered = {"escalation_rate"} if any(e.key == "escalation" for e in entries) else set()
    missing = [(k, SUGGESTIONS[k]) for k in SUGGESTIONS if k not in covered]
    return DiagnosticResult(entries=entries, missing=missing)
