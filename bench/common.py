"""What the benchmarks share: a scratch PostgreSQL database, a results table, the machine.

Each benchmark returns :class:`Figure` rows; ``python -m bench`` prints them all as one
table (``bench/__main__.py``), each figure beside its baseline measured in the same run.
"""

from __future__ import annotations

import json
import math
import os
import platform
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from urllib.parse import urlsplit, urlunsplit


@dataclass(frozen=True)
class Figure:
    """One line of the table: ``value`` against ``baseline`` (same run, same unit)."""

    name: str
    value: float
    unit: str
    baseline_name: str
    baseline: float | None
    target: str  # e.g. "≤ 100 ms", "ratio ≤ 3"; "" when there is none
    met: bool | None = None

    @property
    def ratio(self) -> float | None:
        if self.baseline in (None, 0):
            return None
        return self.value / self.baseline


def figures_write(path: str | None, figures: list[Figure]) -> None:
    if path:
        with open(path, "w", encoding="utf-8") as out:
            json.dump([asdict(f) for f in figures], out)


def figures_read(path: str) -> list[Figure]:
    with open(path, encoding="utf-8") as src:
        return [Figure(**f) for f in json.load(src)]


def _num(value: float | None, unit: str = "") -> str:
    if value is None:
        return "—"
    text = f"{value:,.0f}" if abs(value) >= 100 else f"{value:.3g}" if value else "0"
    return f"{text} {unit}".strip()


def table(figures: list[Figure]) -> str:
    """A Markdown table (it reads as plain text too, and docs/performance.md keeps it)."""
    lines = [
        "| figure | value | baseline (same run) | ratio | target | met |",
        "|---|---:|---|---:|---|---|",
    ]
    for f in figures:
        base = f"{f.baseline_name} {_num(f.baseline, f.unit)}" if f.baseline_name else "—"
        ratio = "—" if f.ratio is None else f"{f.ratio:.2f}"
        met = {True: "yes", False: "**no**", None: ""}[f.met]
        lines.append(
            f"| {f.name} | {_num(f.value, f.unit)} | {base} | {ratio} | {f.target} | {met} |"
        )
    return "\n".join(lines)


def machine() -> str:
    cpus = os.cpu_count() or 0
    model = ""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            model = next((ln.split(":", 1)[1].strip() for ln in info if "model name" in ln), "")
    except OSError:
        pass
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return (
        f"{platform.system()} {platform.machine()}, {cpus} CPU ({model or 'unknown'}), "
        f"Python {sys.version.split()[0]}, load average {load:.1f} at the start"
    )


def postgres_url() -> str:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        sys.exit("this benchmark needs PostgreSQL: DATABASE_URL=postgres://...")
    return url


@contextmanager
def scratch_database(suffix: str) -> Iterator[str]:
    """A fresh database ``<name>_<suffix>`` next to DATABASE_URL's, dropped afterwards."""
    import psycopg

    url = postgres_url()
    parts = urlsplit(url)
    name = f"{parts.path.lstrip('/') or 'postgres'}_{suffix}"
    admin = parts._replace(scheme="postgresql", path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield urlunsplit(parts._replace(path=f"/{name}"))
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def percentile(values: list[float], q: float) -> float:
    """The q-quantile (0..1) by the nearest-rank method."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = max(1, min(len(ordered), math.ceil(q * len(ordered))))
    return ordered[rank - 1]
