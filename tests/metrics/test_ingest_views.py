"""Upload page, run pages and the rejected-rows CSV, for every persona."""

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import HttpRequest
from django.urls import reverse

from bench.samples import conversation_rows, rows_to_csv
from metrics.ingest.services import ingestion_run_create, ingestion_run_execute
from metrics.models import Conversation, IngestionRun
from tests.conftest import PASSWORD

pytestmark = pytest.mark.usefixtures("media_root", "celery_eager")


GOOD_AND_BAD = rows_to_csv(
    [
        *conversation_rows(3),
        {
            "conversation_id": "bad",
            "started_at": "soon",
            "complexity": "simple",
            "escalated": "no",
            "resolved_first_contact": "",
            "human_requested": "",
            "channel": "",
            "language": "",
            "csat": "",
            "topic": "",
        },
    ]
)


def login(client, user):
    assert client.login(request=HttpRequest(), username=user.username, password=PASSWORD)
    return client


def upload_url(slug="eu-chat"):
    return reverse("metrics:ingest_upload", args=[slug])


def post_file(client, content: str, name="data.csv", **extra):
    upload = SimpleUploadedFile(name, content.encode(), content_type="text/csv")
    return client.post(upload_url(), {"file": upload, "kind": ""}, **extra)


def a_run(personas, content=GOOD_AND_BAD, operation=None):
    run = ingestion_run_create(
        operation=operation or personas.operation,
        file=io.BytesIO(content.encode()),
        file_name="seed.csv",
    )
    return ingestion_run_execute(run_id=run.pk)


@pytest.mark.parametrize("persona", ["facilitator", "member", "ops_lead"])
def test_facilitators_and_members_upload_and_are_sent_to_the_run_page(
    client, personas, persona, django_capture_on_commit_callbacks
):
    login(client, getattr(personas, persona))
    assert client.get(upload_url()).status_code == 200

    with django_capture_on_commit_callbacks(execute=True):
        response = post_file(client, GOOD_AND_BAD)

    run = IngestionRun.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("metrics:run_detail", args=["eu-chat", run.pk])
    run.refresh_from_db()
    assert (run.status, run.report_line, run.uploaded_by) == (
        "done",
        "3 ingested, 0 updated, 1 rejected",
        getattr(personas, persona),
    )
    page = client.get(response["Location"])
    assert "3 ingested, 0 updated, 1 rejected" in page.content.decode()
    assert "is not an ISO 8601 datetime" in page.content.decode()
    assert 'hx-trigger="every 1s"' not in page.content.decode()


def test_an_htmx_upload_answers_with_a_client_redirect(
    client, personas, django_capture_on_commit_callbacks
):
    login(client, personas.facilitator)
    with django_capture_on_commit_callbacks(execute=True):
        response = post_file(client, GOOD_AND_BAD, HTTP_HX_REQUEST="true")
    run = IngestionRun.objects.get()
    assert response.status_code == 200
    assert response["HX-Redirect"] == reverse("metrics:run_detail", args=["eu-chat", run.pk])


@pytest.mark.parametrize("persona", ["viewer", "reviewer"])
def test_readers_see_the_page_but_cannot_upload(client, personas, persona):
    login(client, getattr(personas, persona))
    page = client.get(upload_url())
    assert page.status_code == 200
    assert "only facilitators and members send data" in page.content.decode()
    assert 'type="file"' not in page.content.decode()

    assert post_file(client, GOOD_AND_BAD).status_code == 403
    assert not IngestionRun.objects.exists()


def test_the_upload_limit_gives_a_clear_error_and_stores_nothing(client, personas, settings):
    settings.STOPLINE_MAX_UPLOAD_BYTES = 100
    login(client, personas.facilitator)

    response = post_file(client, GOOD_AND_BAD)

    assert response.status_code == 400
    assert "larger than the upload limit" in response.content.decode()
    assert not IngestionRun.objects.exists()


def test_a_whole_file_rejection_is_shown_on_the_run_page(
    client, personas, django_capture_on_commit_callbacks
):
    login(client, personas.facilitator)
    with django_capture_on_commit_callbacks(execute=True):
        response = post_file(client, "conversation_id,started_at\n1,2\n")
    page = client.get(response["Location"]).content.decode()
    assert "The file was not ingested." in page
    assert "lacks the required columns complexity, escalated" in page
    assert not Conversation.objects.exists()


def test_a_run_in_progress_polls_and_the_fragment_is_served_to_htmx(client, personas):
    run = ingestion_run_create(
        operation=personas.operation, file=io.BytesIO(GOOD_AND_BAD.encode()), file_name="q.csv"
    )
    login(client, personas.viewer)
    url = reverse("metrics:run_detail", args=["eu-chat", run.pk])

    page = client.get(url).content.decode()
    assert 'hx-trigger="every 1s"' in page
    assert "<html" in page

    ingestion_run_execute(run_id=run.pk)
    fragment = client.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in fragment
    assert "3 ingested, 0 updated, 1 rejected" in fragment
    assert 'hx-trigger="every 1s"' not in fragment


def test_a_load_in_one_transaction_shows_its_progress_from_the_cache(client, personas):
    """A direct load writes its run row only when it commits; the worker publishes the
    progress in the cache and the polled fragment shows it."""
    from django.core.cache import cache

    from metrics.selectors import progress_key

    run = ingestion_run_create(
        operation=personas.operation, file=io.BytesIO(GOOD_AND_BAD.encode()), file_name="q.csv"
    )
    IngestionRun.objects.filter(pk=run.pk).update(status="running")
    cache.set(progress_key(run.pk), (0.42, 420_000, 17), 60)
    login(client, personas.viewer)
    url = reverse("metrics:run_detail", args=["eu-chat", run.pk])

    fragment = client.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert "420000 rows read, 17 rejected so far." in fragment
    assert 'value="42"' in fragment

    cache.delete(progress_key(run.pk))  # what the worker does when the load ends
    fragment = client.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert "0 rows read, 0 rejected so far." in fragment


def test_rejected_rows_are_paginated_and_downloadable_as_csv(client, personas):
    rows = [
        {"conversation_id": f"r{i}", "started_at": "?", "complexity": "simple", "escalated": "y"}
        for i in range(60)
    ]
    run = a_run(personas, rows_to_csv(rows))
    login(client, personas.viewer)
    url = reverse("metrics:run_detail", args=["eu-chat", run.pk])

    first = client.get(url).content.decode()
    second = client.get(url + "?page=2").content.decode()
    assert "Page 1 of 2" in first
    assert "r0," in first and "r59," not in first
    assert "r59," in second

    response = client.get(reverse("metrics:run_rejects_csv", args=["eu-chat", run.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv"
    table = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert table[0] == ["line", "column", "reason", "original"]
    assert len(table) == 61
    assert table[1][:2] == ["2", "started_at"]
    assert table[1][3] == "r0,?,simple,y"


def test_the_runs_list_shows_every_run_with_its_report(
    client, personas, django_assert_max_num_queries
):
    for _ in range(3):
        a_run(personas)
    a_run(personas, operation=personas.other_operation)
    login(client, personas.viewer)

    with django_assert_max_num_queries(8):
        page = client.get(reverse("metrics:run_list", args=["eu-chat"]))

    assert page.status_code == 200
    body = page.content.decode()
    assert body.count("3 ingested, 0 updated, 1 rejected") == 1
    assert body.count("0 ingested, 0 updated, 1 rejected") == 2
    assert body.count("seed.csv") == 3


def other_org_urls(personas):
    run = a_run(personas)
    return [
        upload_url(),
        reverse("metrics:run_list", args=["eu-chat"]),
        reverse("metrics:run_detail", args=["eu-chat", run.pk]),
        reverse("metrics:run_rejects_csv", args=["eu-chat", run.pk]),
    ]


def test_other_organizations_get_404_everywhere(client, personas):
    urls = other_org_urls(personas)
    login(client, personas.outsider)
    for url in urls:
        assert client.get(url).status_code == 404, url
    assert post_file(client, GOOD_AND_BAD).status_code == 404
    assert IngestionRun.objects.count() == 1


def test_a_run_is_found_only_under_its_own_operation(client, personas):
    run = a_run(personas, operation=personas.other_operation)
    login(client, personas.facilitator)
    assert client.get(reverse("metrics:run_detail", args=["eu-chat", run.pk])).status_code == 404


def test_anonymous_visitors_are_sent_to_log_in(client, personas):
    for url in other_org_urls(personas):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("login"))
    assert post_file(client, GOOD_AND_BAD).status_code == 302
