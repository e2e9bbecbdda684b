"""CSV formula injection and HTML/JS injection: escaped in every export, page and PDF."""

import csv
import io

import pytest
from django.urls import reverse
from pypdf import PdfReader

from accounts.csv_export import csv_cell
from criteria.models import Operation
from metrics.models import IngestionRun, RejectedRow
from sampling.models import Transcript
from sampling.services import review_item_next, sample_draw
from tests.criteria.test_views import login
from tests.sampling.factories import WEEK, plan_set, week_make

SCRIPT = "<script>alert('x')</script>"
IMG = '<img src=x onerror="alert(1)">'


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_formula_cells_get_an_apostrophe(start):
    assert csv_cell(f'{start}HYPERLINK("http://evil")') == f'\'{start}HYPERLINK("http://evil")'


def test_plain_cells_and_numbers_are_untouched():
    assert csv_cell("refund") == "refund"
    assert csv_cell(-3) == -3
    assert csv_cell("") == ""


def csv_rows(response) -> list[list[str]]:
    content = (
        b"".join(response.streaming_content) if response.streaming else response.content
    ).decode()
    return list(csv.reader(io.StringIO(content)))


def test_the_rejected_rows_csv_escapes_formulas(client, personas):
    run = IngestionRun.objects.create(
        operation=personas.operation, file_name="a.csv", sha256="0" * 64, size=1
    )
    RejectedRow.objects.create(
        run=run, line=2, column="csat", reason="not a number", original="=cmd|' /C calc'!A0"
    )
    login(client, personas.facilitator)
    response = client.get(reverse("metrics:run_rejects_csv", args=["eu-chat", run.pk]))
    assert response.status_code == 200
    assert csv_rows(response)[1] == ["2", "csat", "not a number", "'=cmd|' /C calc'!A0"]


def test_the_reviewer_export_escapes_formulas(client, personas):
    plan_set(personas.operation, 4)
    conversations = week_make(personas.operation, 8)
    for conversation in conversations:
        conversation.conversation_id = f"@SUM(1+1)*{conversation.pk}"
        conversation.save(update_fields=["conversation_id"])
    sample_draw(operation=personas.operation, week=WEEK)
    assert review_item_next(operation=personas.operation, reviewer=personas.reviewer)
    login(client, personas.reviewer)
    response = client.get(reverse("sampling:export", args=["eu-chat"]))
    assert response.status_code == 200
    rows = csv_rows(response)
    assert len(rows) > 1
    assert all(row[2].startswith("'@SUM") for row in rows[1:])


def test_html_in_names_is_escaped_on_pages(client, personas):
    Operation.objects.filter(pk=personas.operation.pk).update(title=SCRIPT)
    login(client, personas.facilitator)
    for url in [
        reverse("criteria:operation_list"),
        reverse("criteria:operation_detail", args=["eu-chat"]),
        reverse("criteria:board", args=["eu-chat"]),
        reverse("criteria:audit", args=["eu-chat"]),
        reverse("metrics:dashboard", args=["eu-chat"]),
    ]:
        body = client.get(url).content.decode()
        assert SCRIPT not in body, url
        assert "&lt;script&gt;" in body, url


def test_html_in_names_is_text_in_the_wall_pdf(client, personas):
    Operation.objects.filter(pk=personas.operation.pk).update(title=SCRIPT)
    login(client, personas.facilitator)
    response = client.get(reverse("criteria:version_pdf", args=["eu-chat", 1]))
    assert response.status_code == 200
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    # Shown as the characters typed, not interpreted as markup (which would hide it).
    assert "<script>" in text


def test_html_in_transcripts_is_escaped_on_the_review_page(client, personas):
    plan_set(personas.operation, 4)
    week_make(personas.operation, 8)
    sample_draw(operation=personas.operation, week=WEEK)
    item = review_item_next(operation=personas.operation, reviewer=personas.reviewer)
    Transcript.objects.filter(conversation=item.conversation).update(
        messages=[{"role": "customer", "text": IMG}, {"role": "ai", "text": SCRIPT}]
    )
    login(client, personas.reviewer)
    body = client.get(reverse("sampling:item", args=["eu-chat", item.pk])).content.decode()
    assert IMG not in body and SCRIPT not in body
    assert "&lt;img src=x onerror=" in body


def test_a_nul_in_a_column_name_is_a_clear_rejection_not_a_server_error(personas, media_root):
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_login(personas.member)
    response = client.post(
        "/api/v1/operations/eu-chat/conversations/",
        data=b'{"\\u0000x": 1}\n',
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "lacks the required column" in response.json()["error"]["message"]
