"""`python -m bench.ingest --rows 2000`: the small size CI runs so that the benchmark cannot rot
(its figures say that it runs, not how fast)."""

import os
import re
import subprocess
import sys

import pytest
from django.conf import settings
from django.db import connection

from tests.conftest import require_or_skip

pytestmark = pytest.mark.service


def test_the_ingest_benchmark_runs_small_and_prints_every_figure():
    require_or_skip(connection.vendor == "postgresql", "the benchmark needs PostgreSQL")
    url = os.environ.get("DATABASE_URL", "")
    require_or_skip(url.startswith(("postgres://", "postgresql://")), "DATABASE_URL is not set")

    result = subprocess.run(
        [sys.executable, "-m", "bench.ingest", "--rows", "2000"],
        cwd=settings.BASE_DIR,
        env={**os.environ, "DATABASE_URL": url},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )

    assert result.returncode == 0, result.stderr[-3000:]
    out = result.stdout
    assert "2000 ingested, 0 updated, 0 rejected" in out
    assert "0 ingested, 20 updated, 0 rejected" in out
    assert "0 ingested, 0 updated, 0 rejected, nothing changed" in out
    for label in ("raw COPY, bare table", "ingest service", "ingest 1 % changed", "ingest again"):
        assert re.search(rf"^{re.escape(label)}\s+[\d.]+ s", out, re.M), label
    assert re.search(r"^peak memory\s+\d+ MB", out, re.M)
