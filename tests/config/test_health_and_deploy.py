"""Production readiness: /healthz and `check --deploy` under production settings."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.django_db
def test_healthz_ok_with_eager_tasks(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["database"] == "ok"


@pytest.mark.django_db
def test_healthz_reports_a_broken_broker(client, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "error" and body["broker"].startswith("error")
    assert body["database"] == "ok"


def test_check_deploy_passes_with_production_environment(tmp_path):
    env = {
        **os.environ,
        "STOPLINE_PRODUCTION": "1",
        "SECRET_KEY": "x" * 20 + "-production-like-secret-key-with-enough-entropy-0123456789",
        "ALLOWED_HOSTS": "stopline.example.com",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "STATICFILES_BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage",
    }
    env.pop("DJANGO_DEBUG", None)
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_production_refuses_to_start_without_secret_key(tmp_path):
    env = {**os.environ, "STOPLINE_PRODUCTION": "1", "ALLOWED_HOSTS": "x.example.com"}
    env.pop("SECRET_KEY", None)
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_log_lines_are_json_with_whitelisted_fields_only():
    import json
    import logging

    from config.logging import JsonFormatter

    record = logging.LogRecord(
        "metrics.ingest", logging.INFO, __file__, 1, "run %s done", (7,), None
    )
    record.run_id = 7
    record.email = "someone@example.com"  # not whitelisted: must not appear
    line = JsonFormatter().format(record)
    data = json.loads(line)
    assert data["msg"] == "run 7 done" and data["run_id"] == 7 and data["level"] == "INFO"
    assert "someone@example.com" not in line
