"""The wall PDF: one criteria version on exactly one landscape page, readable from two metres.

Rendering never touches the network: the only stylesheet is read from our static files,
fonts come from the system (DejaVu), and the URL fetcher refuses everything that is not a
data: URI or a file under the static directories.
"""

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from django.urls import reverse
from weasyprint import CSS, HTML
from weasyprint.urls import URLFetcher

from accounts.errors import StoplineError
from criteria.formatting import range_text as range_words
from criteria.models import CriteriaVersion, IndicatorTarget

logger = logging.getLogger(__name__)

PAPERS = {"a4": ("A4", "A4 landscape"), "letter": ("letter", "Letter landscape")}
WALL_TEMPLATE = "criteria/pdf/wall.html"
WALL_CSS = "css/wall.css"


class RemoteResourceRefused(ValueError):
    """The wall PDF asked for something that is not a local static file."""


def _static_roots() -> list[Path]:
    roots = [Path(d).resolve() for d in settings.STATICFILES_DIRS]
    if settings.STATIC_ROOT:
        roots.append(Path(settings.STATIC_ROOT).resolve())
    return roots


class LocalOnlyFetcher(URLFetcher):
    """Fetch data: URIs and files below the static directories; refuse anything else."""

    def fetch(self, url: str, headers: dict[str, str] | None = None) -> Any:
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        if scheme == "data":
            return super().fetch(url, headers)
        if scheme == "file" and parts.netloc in ("", "localhost"):
            path = Path(unquote(parts.path)).resolve()
            if any(path.is_relative_to(root) for root in _static_roots()):
                return super().fetch(url, headers)
        raise RemoteResourceRefused(f"The wall PDF fetches local static files only: {url}")


# Short names read from across the room; the words under them say exactly what is measured.
WALL_LABELS = {
    "escalation_rate": ("Escalation rate", "handed to a human, all conversations"),
    "fcr_simple": ("FCR simple", "first-contact resolution, simple cases"),
    "fcr_complex": ("FCR complex", "first-contact resolution, complex cases"),
    "review_score": ("Review score", "sampled transcripts rated acceptable"),
}


@dataclass(frozen=True)
class Fit:
    """One attempt at fitting the page: base type size and how much long text to keep."""

    base_pt: float
    action_chars: int
    recipients: int


# Tried in order until the page holds everything; the first is the comfortable one.
FITS = [
    Fit(base_pt=16, action_chars=200, recipients=3),
    Fit(base_pt=14.5, action_chars=200, recipients=3),
    Fit(base_pt=13.5, action_chars=160, recipients=2),
    Fit(base_pt=12, action_chars=120, recipients=1),
    Fit(base_pt=10.5, action_chars=90, recipients=0),
    Fit(base_pt=9, action_chars=60, recipients=0),
]


def clip(text: str, limit: int) -> str:
    """`text` on one line, cut at a word boundary to at most `limit` characters."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    if " " in cut[limit // 2 :]:
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip(" ,;:.-") + "…"


def _recipients_text(recipients: list[str], shown: int) -> str:
    if not recipients:
        return ""
    names = [clip(r, 40) for r in recipients[:shown]]
    rest = len(recipients) - len(names)
    if rest:
        names.append(f"{rest} more" if names else f"{rest} recipient{'s' if rest > 1 else ''}")
    return ", ".join(names)


def _sampling_text(target: IndicatorTarget) -> str:
    parts = []
    if target.sampling_per_week:
        parts.append(f"{target.sampling_per_week} transcripts a week")
    if target.sampling_complex_share is not None:
        parts.append(f"{float(target.sampling_complex_share) * 100:g} % complex")
    return ", ".join(parts)


def range_text(target: IndicatorTarget) -> tuple[str, str]:
    """The range as the wall shows it: big figures and a few words under them."""
    lo, hi = target.range_min, target.range_max
    words = "alarm in both directions" if lo is not None and hi is not None else ""
    words = words or ("at least" if lo is not None else "at most")
    return range_words(lo, hi, symbols=True), words


def _rows(version: CriteriaVersion, fit: Fit) -> list[dict[str, Any]]:
    rows = []
    for target in version.targets_in_order():
        label, explanation = WALL_LABELS.get(target.key, (target.label, ""))
        rows.append(
            {
                "key": target.key,
                "label": label,
                "explanation": explanation,
                "range": range_text(target)[0],
                "range_words": range_text(target)[1],
                "rule": target.trigger_display,
                "owner": target.owner.name,
                "review_within_days": target.review_within_days,
                "action": clip(target.action, fit.action_chars),
                "recipients": _recipients_text(list(target.recipients or []), fit.recipients),
                "sampling": _sampling_text(target),
            }
        )
    return rows


def _signature_slots(version: CriteriaVersion) -> list[dict[str, Any]]:
    """Every required department in order, signed or awaiting, plus any other signatures."""
    signatures = {s.department_id: s for s in version.signatures.select_related("department")}
    departments = version.operation.organization.departments.all()
    slots = []
    for department in departments:
        signature = signatures.pop(department.pk, None)
        if signature is None and not department.requires_signature:
            continue
        slots.append({"department": department.name, "signature": signature})
    for signature in signatures.values():
        slots.append({"department": signature.department.name, "signature": signature})
    return slots


def _context(version: CriteriaVersion, paper: str, fit: Fit) -> dict[str, Any]:
    operation = version.operation
    slots = _signature_slots(version)
    return {
        "version": version,
        "operation": operation,
        "rows": _rows(version, fit),
        "slots": slots,
        "signed_count": sum(1 for s in slots if s["signature"]),
        "page_size": PAPERS[paper][0],
        "paper_label": PAPERS[paper][1],
        "base_pt": fit.base_pt,
        "title": clip(operation.title, 60),
        # SITE_URL, not the host of the request that printed it: the page hangs for months.
        "version_url": settings.SITE_URL.rstrip("/")
        + reverse("criteria:version_detail", args=[operation.slug, version.number]),
    }


def _render(version: CriteriaVersion, paper: str, fit: Fit) -> Any:
    html = render_to_string(WALL_TEMPLATE, _context(version, paper, fit))
    css_path = finders.find(WALL_CSS)
    if not css_path:
        raise StoplineError(f"The wall PDF stylesheet {WALL_CSS} is missing from static files.")
    fetcher = LocalOnlyFetcher()
    stylesheet = CSS(filename=css_path, url_fetcher=fetcher)
    return HTML(string=html, base_url=str(Path(css_path).parent), url_fetcher=fetcher).render(
        stylesheets=[stylesheet]
    )


def criteria_pdf_render(*, version: CriteriaVersion, paper: str = "a4") -> bytes:
    """The version as a one-page landscape PDF (`paper` is "a4" or "letter")."""
    if paper not in PAPERS:
        raise StoplineError(
            f"Unknown paper {paper!r}; expected one of {', '.join(PAPERS)}.",
            fields={"paper": "unknown"},
        )
    document = None
    for fit in FITS:
        document = _render(version, paper, fit)
        if len(document.pages) == 1:
            return document.write_pdf()
    # Nothing realistic gets here (the smallest fit clips every long text); if it does, the
    # wall still gets one page rather than a second sheet nobody pins up.
    logger.warning("Wall PDF for %s overflowed one page; printing the first page", version)
    return document.copy(document.pages[:1]).write_pdf()
