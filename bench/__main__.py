"""Every benchmark, then one table: each figure, its baseline from the same run, the ratio.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/stopline python -m bench [--smoke]

Runs, each in its own process (their output stays above the table): ``bench.ingest`` (the
ingest service against a raw COPY), ``bench.detection_scale`` (1,000 operations' checks),
``bench.pages`` (pages under 20 concurrent clients against gunicorn) and ``bench.queue``
(the reviewer queue with 1M items). ``--smoke`` runs each small (CI: under a minute, so
the benchmarks cannot rot); its figures are not compared with the targets. ``--markdown
FILE`` also writes the table with the machine it ran on (docs/performance.md keeps it).
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.common import Figure, figures_read, machine, table

INGEST_TARGET = 3.0
SMOKE_ARGS = {
    "bench.ingest": ["--rows", "20000"],
    "bench.detection_scale": ["--smoke"],
    "bench.pages": ["--smoke"],
    "bench.queue": ["--smoke"],
}


def _run(module: str, args: list[str]) -> tuple[int, str]:
    """Run one benchmark, echoing its output as it comes. Only the pages' server gets
    REDIS_URL (its cache, as in production): the others must not enqueue tasks to a broker
    some worker might be listening on."""
    print(f"\n$ python -m {module} {' '.join(args)}", flush=True)
    env = dict(os.environ)
    if module != "bench.pages":
        env.pop("REDIS_URL", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", module, *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines = []
    for line in proc.stdout:
        print(line, end="", flush=True)
        lines.append(line)
    return proc.wait(), "".join(lines)


def _seconds(text: str, label: str) -> float | None:
    match = re.search(rf"^{re.escape(label)}\s+([\d.]+) s", text, re.M)
    return float(match.group(1)) if match else None


def ingest_figures(text: str, smoke: bool) -> list[Figure]:
    """bench.ingest prints its own lines; read its timings back from them."""
    copy_s = _seconds(text, "raw COPY, bare table")
    ours = _seconds(text, "ingest service")
    changed = _seconds(text, "ingest 1 % changed")
    again = _seconds(text, "ingest again")
    floor = _seconds(text, "floor: typed COPY into")
    rows = re.search(r"^rows\s+([\d,]+)", text, re.M)
    n = rows.group(1) if rows else "?"
    if copy_s is None or ours is None:
        return [Figure("ingest (see its output above)", float("nan"), "", "", None, "", False)]
    target = "" if smoke else f"ratio ≤ {INGEST_TARGET:.0f}"
    figures = [
        Figure(
            f"ingest {n} rows",
            ours,
            "s",
            "raw COPY",
            copy_s,
            target,
            None if smoke else ours / copy_s <= INGEST_TARGET,
        )
    ]
    if changed is not None:
        figures.append(
            Figure(
                f"ingest {n} rows, 1 % changed",
                changed,
                "s",
                "raw COPY",
                copy_s,
                target,
                None if smoke else changed / copy_s <= INGEST_TARGET,
            )
        )
    if again is not None:
        figures.append(
            Figure(f"ingest the same {n} rows again", again, "s", "raw COPY", copy_s, "")
        )
    if floor is not None:
        figures.append(
            Figure(
                "typed COPY into the conversation table (floor)", floor, "s", "raw COPY", copy_s, ""
            )
        )
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="small runs (CI)")
    parser.add_argument("--markdown", help="also write the table and the machine to this file")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    where = machine()
    figures: list[Figure] = []
    failed = []
    with tempfile.TemporaryDirectory() as tmp:
        for module, smoke_args in SMOKE_ARGS.items():
            extra = smoke_args if args.smoke else []
            if module == "bench.ingest":
                code, text = _run(module, extra)
                figures += ingest_figures(text, args.smoke)
            else:
                out = Path(tmp) / f"{module}.json"
                code, _ = _run(module, [*extra, "--figures", str(out)])
                if out.exists():
                    figures += figures_read(str(out))
            if code != 0:
                failed.append(module)
    if args.smoke:  # small runs say the benchmarks work, not how fast we are
        figures = [
            Figure(f.name, f.value, f.unit, f.baseline_name, f.baseline, "", None)
            if f.target != "0"
            else f
            for f in figures
        ]
    result = table(figures)
    print(
        f"\n{where}\n{'smoke run, ' if args.smoke else ''}all benchmarks in "
        f"{time.perf_counter() - started:.0f} s\n\n{result}"
    )
    if args.markdown:
        Path(args.markdown).write_text(f"Machine: {where}.\n\n{result}\n", encoding="utf-8")
    if failed:
        print(f"\nfailed: {', '.join(failed)}")
        return 1
    if any(f.met is False and f.target == "0" for f in figures):
        return 1  # an item handed to two reviewers is a bug, whatever the size of the run
    return 0


if __name__ == "__main__":
    sys.exit(main())
