"""Write the warning-limit table: python -m metrics.detection.warning_table [--runs 400]

For every canonical key of the grid (stats.BASELINE_DAY_GRID × COUNT_GRID × RHO_GRID), each λ
of the warning tier and each side (both ways, up, down: stats.SIDES), and the collapse CUSUM
(stats.COLLAPSE, down only), simulates in-control
years (stats.yearly_maxima) and stores the limit at which the detector opens, on average, each
number of false episodes a year of stats.ALPHA_GRID (stats.count_limit: the yearly maximum's
quantile, corrected for the false alarms that come in clusters after an unlucky baseline) in
data/warning_limits.json.
Deterministic (fixed seeds); rerun after changing the grid, the λs or the simulation.
"""

from __future__ import annotations

import argparse
import json
import sys
import time

from metrics.detection import stats
from metrics.detection.detectors import WARNING_LAMBDAS


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=400)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    limits: dict[str, list[float]] = {}
    for days in stats.BASELINE_DAY_GRID:
        for count in stats.COUNT_GRID:
            for rho in stats.RHO_GRID:
                key = stats.WarningKey(days, count, rho)
                maxima = stats.yearly_maxima(key, WARNING_LAMBDAS, runs=args.runs)
                factors = stats.cluster_factors(key, WARNING_LAMBDAS, runs=args.runs)
                detectors = [(lam, side) for lam in WARNING_LAMBDAS for side in stats.SIDES]
                for lam, side in [*detectors, (stats.COLLAPSE, stats.LOW)]:
                    limits[stats.table_key(key, lam, side)] = [
                        round(stats.count_limit(maxima[(lam, side)], factors[(lam, side)], a), 4)
                        for a in stats.ALPHA_GRID
                    ]
    # One row per line: a reviewable diff when the table is regenerated.
    rows = [f"  {json.dumps(k)}: {json.dumps(v)}" for k, v in sorted(limits.items())]
    text = "\n".join(
        [
            "{",
            f' "alphas": {json.dumps(list(stats.ALPHA_GRID))},',
            f' "lambdas": {json.dumps(list(WARNING_LAMBDAS))},',
            f' "runs": {args.runs},',
            ' "limits": {',
            ",\n".join(rows),
            " }",
            "}",
        ]
    )
    stats.TABLE_FILE.write_text(text + "\n", encoding="utf-8")
    print(f"{len(limits)} rows in {time.perf_counter() - started:.0f} s -> {stats.TABLE_FILE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
