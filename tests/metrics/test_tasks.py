"""The ingestion task: eager here; through a real worker on Redis and PostgreSQL (service)."""

import io
import time

import pytest
from django.db import connection

from bench.samples import conversation_rows, rows_to_csv
from criteria.services import operation_create
from metrics.ingest.services import ingestion_run_create, ingestion_run_enqueue
from metrics.models import Conversation, DailyAggregate, IngestionRun, RejectedRow
from metrics.tasks import ingestion_run_execute_task
from tests.metrics.test_ingest_services import snapshot

pytestmark = pytest.mark.usefixtures("media_root")


@pytest.fixture
def eager(celery_eager):
    return None


def file_with_bad_rows(n: int) -> tuple[bytes, int, int]:
    rows = list(conversation_rows(n, seed=3))
    bad = 0
    for i in range(0, n, 250):
        rows[i]["csat"] = "7"
        bad += 1
    return rows_to_csv(rows).encode(), n - bad, bad


def create(operation, content: bytes, name="data.csv") -> IngestionRun:
    return ingestion_run_create(operation=operation, file=io.BytesIO(content), file_name=name)


def test_the_task_runs_a_queued_run_after_commit(
    personas, eager, django_capture_on_commit_callbacks
):
    content, good, bad = file_with_bad_rows(500)
    run = create(personas.operation, content)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        ingestion_run_enqueue(run=run)
    run.refresh_from_db()
    assert run.status == "queued"  # nothing runs before the commit
    for callback in callbacks:
        callback()

    run.refresh_from_db()
    assert run.status == "done"
    assert run.report_line == f"{good} ingested, 0 updated, {bad} rejected"


def test_running_the_task_again_changes_nothing(personas, eager):
    content, good, bad = file_with_bad_rows(500)
    run = create(personas.operation, content)
    assert ingestion_run_execute_task.delay(run.pk).get() == "done"
    before = snapshot(personas.operation), list(RejectedRow.objects.values_list("line", "reason"))

    assert ingestion_run_execute_task.delay(run.pk).get() == "done"

    run.refresh_from_db()
    assert run.attempt == 1
    assert run.report_line == f"{good} ingested, 0 updated, {bad} rejected"
    after = snapshot(personas.operation), list(RejectedRow.objects.values_list("line", "reason"))
    assert after == before


def _copying_conversations() -> bool:
    """A worker's connection is inside a transaction that COPYs into the conversation table."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE pid <> pg_backend_pid() "
            "AND state IN ('active', 'idle in transaction') "
            "AND query LIKE 'COPY metrics_conversation %%'"
        )
        return cursor.fetchone()[0] > 0


def wait_for(run_id: int, condition, timeout: float = 40.0) -> IngestionRun:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run = IngestionRun.objects.get(pk=run_id)
        if condition(run):
            return run
        time.sleep(0.02)
    pytest.fail(f"run {run_id} did not get there: {run.status} {run.total} {run.error}")


@pytest.mark.service
@pytest.mark.django_db(transaction=True)
def test_ingestion_through_a_real_worker_twice_changes_nothing(personas, celery_worker):
    celery_worker()
    content, good, bad = file_with_bad_rows(8000)
    run = create(personas.operation, content)
    ingestion_run_enqueue(run=run)  # autocommit: enqueued at once

    run = wait_for(run.pk, lambda r: r.is_finished)
    assert run.status == "done", run.error
    assert run.report_line == f"{good} ingested, 0 updated, {bad} rejected"
    before = snapshot(personas.operation)

    assert ingestion_run_execute_task.delay(run.pk).get(timeout=30) == "done"
    again = create(personas.operation, content)
    ingestion_run_enqueue(run=again)
    again = wait_for(again.pk, lambda r: r.is_finished)

    assert IngestionRun.objects.get(pk=run.pk).attempt == 1
    assert again.report_line == f"0 ingested, 0 updated, {bad} rejected"
    assert snapshot(personas.operation) == before


@pytest.mark.service
@pytest.mark.django_db(transaction=True)
def test_killing_the_worker_mid_ingest_and_rerunning_reaches_the_same_end_state(
    personas, celery_worker, monkeypatch
):
    # Small blocks, so that the worker is killed between two of them.
    monkeypatch.setenv("STOPLINE_INGEST_BLOCK_ROWS", "4000")
    content, good, bad = file_with_bad_rows(40_000)
    # The reference: the same file ingested in one go into a twin operation.
    twin = operation_create(
        organization=personas.org,
        slug="eu-chat-twin",
        title="Twin",
        timezone_name=personas.operation.timezone,
    )
    reference = create(twin, content)
    ingestion_run_execute_task.apply(args=[reference.pk])
    worker = celery_worker()
    run = create(personas.operation, content)
    ingestion_run_enqueue(run=run)

    # The worker loads the file in one transaction (new conversations go straight into the
    # conversation table): kill it while that transaction is writing.
    loading_since = time.monotonic()
    while not _copying_conversations():
        assert time.monotonic() - loading_since < 40, "the worker never started the load"
        time.sleep(0.005)
    worker.kill()  # SIGKILL: no chance to clean up
    worker.wait(timeout=10)
    killed = IngestionRun.objects.get(pk=run.pk)
    assert killed.status == "running"
    # Nothing of the killed load is visible: not one conversation, not one quarantined row.
    assert not Conversation.objects.filter(operation=personas.operation).exists()
    assert not RejectedRow.objects.filter(run=run).exists()

    celery_worker()
    ingestion_run_execute_task.delay(run.pk)
    run = wait_for(run.pk, lambda r: r.is_finished)

    assert run.status == "done", run.error
    assert run.attempt == 2
    assert run.report_line == f"{good} ingested, 0 updated, {bad} rejected"
    assert run.report_line == IngestionRun.objects.get(pk=reference.pk).report_line
    assert snapshot(personas.operation) == snapshot(twin)
    assert sorted(RejectedRow.objects.filter(run=run).values_list("line", "reason")) == sorted(
        RejectedRow.objects.filter(run=reference).values_list("line", "reason")
    )
    assert DailyAggregate.objects.filter(operation=personas.operation).count() > 0
