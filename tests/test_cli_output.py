"""What commands print on stdout is for scripts: `evaluate --json` and `export_criteria` must
print only their JSON and YAML, with the logs (INFO, as by default) on stderr.

Run as a user runs them, in processes of their own, on a SQLite file of their own."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
CRITERIA = """
operation: cli-check
title: CLI check
timezone: Europe/Stockholm
indicators:
  - key: escalation_rate
    range: {min: 0.08, max: 0.25}
    trigger: {rule: outside_range, for_days: 3, owner: operations, review_within_days: 2,
              action: Review.}
"""


@pytest.fixture
def manage(tmp_path):
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "MEDIA_ROOT": str(tmp_path / "media"),
        "LOG_LEVEL": "INFO",
        "LOG_FORMAT": "line",
    }
    env.pop("REDIS_URL", None)

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            check=True,
        )

    run("migrate", "--noinput")
    criteria = tmp_path / "criteria.yaml"
    criteria.write_text(CRITERIA)
    run("import_criteria", str(criteria), "--org", "acme")
    return run


def test_evaluate_json_and_export_print_only_their_document(manage):
    evaluated = manage("evaluate", "cli-check", "--version", "draft", "--json")
    assert json.loads(evaluated.stdout) == []  # no data: nothing fires in a backtest
    assert "INFO" in evaluated.stderr  # the logs went somewhere else
    exported = manage("export_criteria", "cli-check", "--version", "1")
    document = yaml.safe_load(exported.stdout)
    assert document["operation"] == "cli-check"
    assert [i["key"] for i in document["indicators"]] == ["escalation_rate"]
