"""Shared fixtures: personas of one organization, an outsider, and service guards."""

import os
import shutil
from dataclasses import dataclass

import pytest
from django.contrib.auth.models import User
from django.core.cache import cache

from accounts.models import Membership, Organization
from accounts.services import organization_ensure
from config.page_cache import page_cache_clear_local
from criteria.models import Operation
from criteria.services import operation_create

PASSWORD = "correct horse battery staple"


@pytest.fixture(autouse=True)
def _fast_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _webhooks_to_local_receivers(settings):
    """The tests' webhook receivers listen on 127.0.0.1; tests/outbox/test_addresses.py turns
    the private-address rule back on."""
    settings.STOPLINE_WEBHOOK_ALLOW_PRIVATE = True


@pytest.fixture(autouse=True)
def _empty_page_cache(settings):
    """Each test starts with an empty cache of its own: the database is rolled back between
    tests, a shared cache would not be (and clearing Redis would flush the broker's queues)."""
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "t"}
    }
    cache.clear()
    page_cache_clear_local()


def api_token(user: User, *, name: str = "test", days: int = 30) -> str:
    """A fresh API token for `user` (the value a client sends; only its digest is stored)."""
    from datetime import timedelta

    from accounts.models import ApiToken

    _, token = ApiToken.objects.create(user=user, expiry=timedelta(days=days), name=name)
    return token


def make_member(
    org: Organization,
    username: str,
    *,
    department: str | None,
    role: str,
    signatory: bool = False,
) -> User:
    user = User.objects.create_user(
        username=username,
        password=PASSWORD,
        first_name=username.split("_")[0].title(),
        email=f"{username}@example.com",
    )
    dept = org.departments.get(key=department) if department else None
    Membership.objects.create(
        user=user,
        organization=org,
        department=dept,
        role=role,
        is_signatory=signatory,
        printed_name=f"{username.title()} Name",
    )
    return user


@dataclass
class Personas:
    org: Organization
    operation: Operation
    facilitator: User
    ops_lead: User  # operations signatory
    legal_lead: User  # legal signatory
    cx_lead: User  # cx signatory
    finance_lead: User  # finance signatory
    member: User  # operations member, not a signatory
    reviewer: User  # senior reviewer
    viewer: User
    outsider: User  # facilitator of another organization
    other_operation: Operation


@pytest.fixture
def personas(db) -> Personas:
    org = organization_ensure(slug="acme", name="Acme Retail")
    operation = operation_create(
        organization=org, slug="eu-chat", title="EU chat", timezone_name="Europe/Stockholm"
    )
    other = organization_ensure(slug="rival", name="Rival Corp")
    other_op = operation_create(organization=other, slug="rival-chat", title="Rival chat")
    return Personas(
        org=org,
        operation=operation,
        facilitator=make_member(org, "facilitator", department="operations", role="facilitator"),
        ops_lead=make_member(
            org, "ops_lead", department="operations", role="member", signatory=True
        ),
        legal_lead=make_member(
            org, "legal_lead", department="legal", role="member", signatory=True
        ),
        cx_lead=make_member(org, "cx_lead", department="cx", role="member", signatory=True),
        finance_lead=make_member(
            org, "finance_lead", department="finance", role="member", signatory=True
        ),
        member=make_member(org, "ops_member", department="operations", role="member"),
        reviewer=make_member(org, "senior_reviewer", department="cx", role="senior_reviewer"),
        viewer=make_member(org, "viewer", department=None, role="viewer"),
        outsider=make_member(
            other, "outsider", department="operations", role="facilitator", signatory=True
        ),
        other_operation=other_op,
    )


def require_or_skip(condition: bool, reason: str) -> None:
    """Skip locally when a service is missing; in CI (CI set) a missing service fails."""
    if condition:
        return
    if os.environ.get("CI"):
        pytest.fail(f"required in CI: {reason}")
    pytest.skip(reason)


@pytest.fixture(autouse=True)
def _postgres_marker(request):
    """Tests marked `postgres` need PostgreSQL itself (triggers): fail in CI without it."""
    if request.node.get_closest_marker("postgres"):
        from django.db import connection

        require_or_skip(
            connection.vendor == "postgresql",
            "needs PostgreSQL (DATABASE_URL=postgres://...)",
        )


def pytest_sessionfinish(session, exitstatus):
    """In CI nothing may be skipped: a test that cannot run is a failure."""
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if os.environ.get("CI") and reporter and reporter.stats.get("skipped") and exitstatus == 0:
        session.exitstatus = 1


@pytest.fixture
def chromium_path() -> str:
    path = shutil.which("chromium") or "/usr/bin/chromium"
    require_or_skip(os.path.exists(path), "Chromium is not installed (/usr/bin/chromium)")
    return path


@pytest.fixture
def media_root(settings, tmp_path):
    """Uploaded files go to a fresh directory per test."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return settings.MEDIA_ROOT


def _redis_reachable(url: str) -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=2).ping())
    except redis.RedisError:
        return False


@pytest.fixture
def celery_worker(django_db_setup, media_root, tmp_path):
    """Start real Celery worker processes on Redis against the pytest TEST database.

    Returns a function that starts one worker (solo pool) and waits until it is ready; every
    worker started is killed at teardown. Tests using it need
    @pytest.mark.django_db(transaction=True) so that the worker sees their rows.
    """
    import subprocess
    import sys
    import time
    import uuid
    from pathlib import Path
    from urllib.parse import quote

    import redis
    from django.conf import settings
    from django.db import connection

    from config.celery import app

    require_or_skip(
        connection.vendor == "postgresql",
        "service tests need PostgreSQL (DATABASE_URL=postgres://...)",
    )
    redis_url = os.environ.get("REDIS_URL", "")
    require_or_skip(
        bool(redis_url) and _redis_reachable(redis_url),
        f"service tests need Redis (REDIS_URL={redis_url or 'unset'} is not reachable)",
    )
    redis.Redis.from_url(redis_url).flushdb()  # no messages left over from earlier runs

    db = settings.DATABASES["default"]
    credentials = quote(db.get("USER") or "")
    if db.get("PASSWORD"):
        credentials += ":" + quote(db["PASSWORD"])
    database_url = (
        f"postgres://{credentials}@{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}"
        f"/{db['NAME']}"
    )
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "CELERY_TASK_ALWAYS_EAGER": "0",
        "STOPLINE_WEBHOOK_ALLOW_PRIVATE": "1",  # the receivers listen on 127.0.0.1
        "MEDIA_ROOT": str(media_root),
        "DJANGO_SETTINGS_MODULE": "config.settings",
    }
    celery_bin = str(Path(sys.executable).parent / "celery")
    base_dir = str(settings.BASE_DIR)
    processes: list[subprocess.Popen] = []
    eager = app.conf.task_always_eager
    app.conf.task_always_eager = False
    app.conf.broker_url = redis_url
    app.conf.result_backend = redis_url

    def start(timeout: float = 30.0) -> subprocess.Popen:
        log_path = tmp_path / f"worker-{len(processes)}.log"
        with log_path.open("wb") as log:
            process = subprocess.Popen(
                [
                    celery_bin,
                    "-A",
                    "config",
                    "worker",
                    "-l",
                    "info",
                    "-P",
                    "solo",
                    "--without-heartbeat",
                    "--without-gossip",
                    "--without-mingle",
                    "-n",
                    f"test-{uuid.uuid4().hex[:8]}@%h",
                ],
                cwd=base_dir,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        processes.append(process)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            text = log_path.read_text(errors="replace")
            if " ready." in text:
                return process
            if process.poll() is not None:
                break
            time.sleep(0.1)
        pytest.fail(f"the Celery worker did not start:\n{log_path.read_text()[-3000:]}")

    yield start
    for process in processes:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=10)
    app.conf.task_always_eager = eager


@pytest.fixture
def celery_eager():
    """Run tasks in-process even when REDIS_URL is set (the service-test environment)."""
    from config.celery import app

    eager = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = eager
