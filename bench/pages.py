"""Pages under load: gunicorn (2 sync workers) on PostgreSQL, a year of data for an operation
of 2,000 conversations a day, 20 concurrent clients; /healthz is the baseline of the same run.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/stopline [REDIS_URL=redis://127.0.0.1:6379/N] \\
        python -m bench.pages [--requests 400] [--concurrency 20] [--smoke]

Seeds a scratch database (<name>_pages, dropped afterwards) with the demo organization, a year
of daily aggregates at 2,000 a day (written directly: ingestion has its own benchmark), the
alerts the evaluation opens and 300 transcripts in the review queue. With REDIS_URL set the
server uses Redis as its cache and broker, as in production; otherwise each worker has its own
memory cache. The client is a small asyncio driver (one connection per request, like `ab`
without keep-alive, since gunicorn's sync workers close after each response): it measures
from connecting to the last byte. The board's poll sends the ETag of the previous answer, as a
browser does. Every page is requested in two bursts before the measured run (each worker's
first request imports and connects, and the first view after a change draws the charts; the
run measures what 20 people reading it see). The pages take turns in four rounds, so a burst
of load from elsewhere on a shared machine falls on all of them alike.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from bench.common import Figure, figures_write, machine, percentile, scratch_database, table

ROOT = Path(__file__).resolve().parent.parent
SLUG = "eu-retail-chat"
P95_TARGET_MS = 100.0
THROUGHPUT_SHARE = 1 / 3


@dataclass(frozen=True)
class Page:
    name: str
    path: str
    user: str | None  # whose session; None: anonymous
    headers: tuple[tuple[str, str], ...] = ()
    etag: bool = False  # send If-None-Match with the ETag of a first answer


PAGES = [
    Page("/healthz (baseline)", "/healthz", None),
    Page("dashboard (90 days)", f"/metrics/{SLUG}/", "ops"),
    Page("dashboard (365 days)", f"/metrics/{SLUG}/?days=365", "ops"),
    Page("workshop board", f"/ops/{SLUG}/board/", "ops"),
    Page("board poll (htmx, ETag)", f"/ops/{SLUG}/board/", "ops", (("HX-Request", "true"),), True),
    Page("alert list", f"/metrics/{SLUG}/alerts/", "ops"),
    Page("review queue", f"/sampling/{SLUG}/queue/", "reviewer"),
]


@dataclass
class Result:
    page: Page
    seconds: float
    latencies: list[float]
    statuses: dict[int, int]
    size: int

    @property
    def rps(self) -> float:
        return len(self.latencies) / self.seconds

    def p(self, q: float) -> float:
        return percentile(self.latencies, q) * 1000


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def _get(port: int, request: bytes) -> tuple[int, bytes, bytes]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(request)
    data = await reader.read()  # the server closes after the response
    writer.close()
    head, _, body = data.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1]) if head else 0
    return status, head, body


def _request(page: Page, cookie: str | None, etag: str | None) -> bytes:
    lines = [f"GET {page.path} HTTP/1.1", "Host: 127.0.0.1", "Connection: close"]
    if cookie:
        lines.append(f"Cookie: sessionid={cookie}")
    lines += [f"{k}: {v}" for k, v in page.headers]
    if etag:
        lines.append(f"If-None-Match: {etag}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


async def _prepare(page: Page, port: int, cookie: str | None, clients: int) -> bytes:
    """Warm up every worker (first requests import and connect) and draw what is cached: two
    bursts of as many requests as there are clients. Returns the request to measure."""
    for _ in range(2):
        answers = await asyncio.gather(
            *(_get(port, _request(page, cookie, None)) for _ in range(clients))
        )
        for status, _, body in answers:
            if status != 200:
                raise RuntimeError(f"{page.path} answered {status}: {body[:300]!r}")
    etag = None
    if page.etag:
        for line in answers[-1][1].split(b"\r\n"):
            if line.lower().startswith(b"etag:"):
                etag = line.split(b":", 1)[1].strip().decode()
        if etag is None:
            raise RuntimeError(f"{page.path} sent no ETag")
    return _request(page, cookie, etag)


async def _load(page: Page, port: int, request: bytes, requests: int, clients: int) -> Result:
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    size = 0
    left = iter(range(requests))

    async def client() -> None:
        nonlocal size
        for _ in left:
            t = time.perf_counter()
            status, _, body = await _get(port, request)
            latencies.append(time.perf_counter() - t)
            statuses[status] = statuses.get(status, 0) + 1
            size = max(size, len(body))

    start = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(clients)))
    return Result(page, time.perf_counter() - start, latencies, statuses, size)


async def _measure(
    port: int, sessions: dict[str, str], requests: int, clients: int, rounds: int
) -> list[Result]:
    """Every page in turn, in `rounds` rounds of requests/rounds each: a burst of load from
    elsewhere on the machine then falls on all pages alike, the baseline's included."""
    prepared = [await _prepare(p, port, sessions.get(p.user), clients) for p in PAGES]
    totals = [Result(p, 0.0, [], {}, 0) for p in PAGES]
    for _ in range(rounds):
        for total, request in zip(totals, prepared, strict=True):
            r = await _load(total.page, port, request, requests // rounds, clients)
            total.seconds += r.seconds
            total.latencies += r.latencies
            total.size = max(total.size, r.size)
            for status, count in r.statuses.items():
                total.statuses[status] = total.statuses.get(status, 0) + count
    return totals


def _manage(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{done.stderr[-2000:]}")
    return done.stdout


SEED = """
from io import StringIO
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
from django.contrib.sessions.backends.db import SessionStore
from django.core.management import call_command
from django.conf import settings
from django.core.cache import cache
quiet = StringIO()
# The page cache may hold an earlier run's pages under this scratch database's ids.
if settings.CACHES["default"]["BACKEND"].endswith("RedisCache"):
    client = cache._cache.get_client()
    for key in client.scan_iter("stopline-cache:*"):
        client.delete(key)
call_command("migrate", verbosity=0, stdout=quiet)
call_command("seed_demo", stdout=quiet)  # the demo organization, 300 transcripts to review
call_command("seed_demo_metrics", days=DAYS, per_day=2000, stdout=quiet)
call_command("evaluate", "SLUG", stdout=quiet)
for name in ("ops", "reviewer"):
    user = get_user_model().objects.get(username=name)
    s = SessionStore()
    s[SESSION_KEY] = str(user.pk)
    s[BACKEND_SESSION_KEY] = "accounts.auth.PasswordBackend"  # one of AUTHENTICATION_BACKENDS
    s[HASH_SESSION_KEY] = user.get_session_auth_hash()
    s.create()
    print(name, s.session_key)
"""


def _seed(env: dict[str, str], days: int) -> dict[str, str]:
    """One process: migrate, the demo, a year at 2,000 a day, its alerts, two sessions."""
    seeding = {**env, "CELERY_TASK_ALWAYS_EAGER": "1"}  # e-mails of new alerts: console
    script = SEED.replace("DAYS", str(days)).replace("SLUG", SLUG)
    out = _manage(seeding, "shell", "-c", script)
    return dict(line.split() for line in out.strip().splitlines()[-2:])


def run(
    *, requests: int, clients: int, rounds: int = 4, days: int = 365, workers: int = 2
) -> list[Figure]:
    with scratch_database("pages") as url, tempfile.TemporaryDirectory() as tmp:
        env = {
            **os.environ,
            "DATABASE_URL": url,
            "MEDIA_ROOT": str(Path(tmp) / "media"),
            "LOG_LEVEL": "WARNING",
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "DJANGO_DEBUG": "0",
        }
        env.pop("CELERY_TASK_ALWAYS_EAGER", None)
        started = time.perf_counter()
        sessions = _seed(env, days)
        seeded = time.perf_counter() - started
        port = _free_port()
        server = subprocess.Popen(
            [
                str(Path(sys.executable).parent / "gunicorn"),
                "config.wsgi",
                "--workers",
                str(workers),
                "--bind",
                f"127.0.0.1:{port}",
                "--log-level",
                "warning",
                "--backlog",
                "256",
            ],
            cwd=ROOT,
            env=env,
        )
        try:
            _wait(port, server)
            results = asyncio.run(_measure(port, sessions, requests, clients, rounds))
        finally:
            server.terminate()
            server.wait(timeout=30)
    print(
        f"pages: a year ({days} days) at 2,000 conversations a day, seeded in {seeded:.0f} s; "
        f"gunicorn {workers} sync workers, {clients} concurrent clients, {requests} requests "
        f"a page in {rounds} rounds, cache "
        f"{'Redis' if env.get('REDIS_URL') else 'per-process memory'}"
    )
    print(f"  {'page':<26} {'req/s':>7} {'p50 ms':>7} {'p95 ms':>7} {'KB':>6}  statuses")
    for r in results:
        print(
            f"  {r.page.name:<26} {r.rps:7.0f} {r.p(0.5):7.1f} {r.p(0.95):7.1f} "
            f"{r.size / 1000:6.0f}  {r.statuses}"
        )
    base = results[0]
    figures = []
    for r in results[1:]:
        expected = 304 if r.page.etag else 200
        ok = set(r.statuses) == {expected}
        figures.append(
            Figure(
                f"{r.page.name}: requests/s",
                r.rps,
                "req/s",
                "/healthz",
                base.rps,
                "ratio ≥ 0.33",
                ok and r.rps >= base.rps * THROUGHPUT_SHARE,
            )
        )
        figures.append(
            Figure(
                f"{r.page.name}: p95",
                r.p(0.95),
                "ms",
                "/healthz",
                base.p(0.95),
                f"≤ {P95_TARGET_MS:.0f} ms",
                ok and r.p(0.95) <= P95_TARGET_MS,
            )
        )
    return figures


def _wait(port: int, server: subprocess.Popen) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError("gunicorn exited")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("gunicorn did not start")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=400, help="per page (default 400)")
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--smoke", action="store_true", help="a small run (CI)")
    parser.add_argument("--figures", help="also write the figures as JSON to this file")
    args = parser.parse_args(argv)
    requests, clients = (20, 4) if args.smoke else (args.requests, args.concurrency)
    print(machine())
    figures = run(requests=requests, clients=clients, rounds=1 if args.smoke else 4)
    print(table(figures))
    figures_write(args.figures, figures)
    return 0


if __name__ == "__main__":
    sys.exit(main())
