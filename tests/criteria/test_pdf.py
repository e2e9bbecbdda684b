"""The wall PDF: one landscape page with the ranges, triggers and signatures, never online."""

import logging
import socket
from datetime import date
from io import BytesIO, StringIO
from pathlib import Path

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.management import call_command
from django.core.management.base import CommandError
from django.http import Http404
from django.test import RequestFactory
from pypdf import PdfReader
from weasyprint import HTML

from accounts.errors import StoplineError
from accounts.models import Department
from criteria.models import CriteriaVersion
from criteria.pdf import (
    Fit,
    LocalOnlyFetcher,
    RemoteResourceRefused,
    criteria_pdf_render,
    range_text,
)
from criteria.services import target_set
from criteria.views_pdf import version_pdf
from tests.criteria.signing import agree, membership, propose, sign

A4_LANDSCAPE = (842, 595)
LETTER_LANDSCAPE = (792, 612)


def pages(pdf: bytes) -> list:
    return PdfReader(BytesIO(pdf)).pages


def size(page) -> tuple[int, int]:
    return round(float(page.mediabox.width)), round(float(page.mediabox.height))


def text_of(pdf: bytes) -> str:
    """All text of the PDF with whitespace (including no-break spaces) collapsed."""
    raw = " ".join(page.extract_text() for page in pages(pdf))
    return " ".join(raw.replace("\xa0", " ").split())


def flat(text: str) -> str:
    return " ".join(text.replace("\xa0", " ").split())


@pytest.fixture
def agreed(personas) -> CriteriaVersion:
    personas.operation.go_live = date(2025, 1, 15)
    personas.operation.save()
    return agree(personas)


def test_agreed_version_is_one_a4_landscape_page_with_ranges_and_signatures(personas, agreed):
    pdf = criteria_pdf_render(version=agreed)

    assert pdf.startswith(b"%PDF")
    assert len(pages(pdf)) == 1
    assert size(pages(pdf)[0]) == A4_LANDSCAPE
    text = text_of(pdf)
    assert "EU chat" in text
    assert "15 Jan 2025" in text
    assert f"Version {agreed.number}" in text
    assert agreed.short_hash in text
    targets = agreed.targets_in_order()
    assert [t.key for t in targets] == [
        "escalation_rate",
        "fcr_simple",
        "fcr_complex",
        "review_score",
    ]
    for target in targets:
        assert flat(range_text(target)[0]) in text
        assert target.owner.name in text
        assert f"review within {target.review_within_days} days" in text
        assert flat(target.action) in text
    assert "8 %–25 %" in text and "≥ 80 %" in text
    assert "simple cases" in text and "complex cases" in text
    for signature in agreed.signatures.select_related("department"):
        assert signature.printed_name in text
        assert signature.department.name in text
        assert signature.meaning in text
    assert "Ops_Lead Name" in text and "Approved for Legal" in text
    assert f"Signed {agreed.agreed_at:%-d %b %Y}" in text
    assert "AGREED" in text
    assert "DRAFT" not in text and "NOT AGREED" not in text


def test_letter_paper_is_one_letter_landscape_page(agreed):
    pdf = criteria_pdf_render(version=agreed, paper="letter")

    assert [size(p) for p in pages(pdf)] == [LETTER_LANDSCAPE]


def test_unknown_paper_is_refused(agreed):
    with pytest.raises(StoplineError, match="Unknown paper"):
        criteria_pdf_render(version=agreed, paper="a3")


def test_a_draft_carries_the_not_agreed_mark(personas):
    draft = personas.operation.versions.get()

    text = text_of(criteria_pdf_render(version=draft))

    assert "DRAFT — NOT AGREED" in text
    assert "Not signed" in text


def test_a_partly_signed_proposal_is_still_marked_and_shows_who_signed(personas):
    operation = personas.operation
    proposed = propose(operation, personas.facilitator)
    sign(operation, personas.legal_lead, proposed)
    sign(operation, personas.cx_lead, proposed)
    proposed.refresh_from_db()

    pdf = criteria_pdf_render(version=proposed)

    text = text_of(pdf)
    assert len(pages(pdf)) == 1
    assert "DRAFT — NOT AGREED" in text
    assert "2 of 4 signed" in text
    assert "Legal_Lead Name" in text and "Cx_Lead Name" in text
    assert "Ops_Lead Name" not in text


def test_long_actions_many_recipients_and_extra_departments_still_fit_one_page(personas):
    operation = personas.operation
    operation.title = "An operation with a long name " * 6
    operation.save()
    for i, key in enumerate(("security", "it", "works-council")):
        Department.objects.create(
            organization=personas.org, key=key, name=f"Department {key}", position=10 + i
        )
    facilitator = membership(personas.facilitator, operation)
    for target in operation.versions.get().targets.all():
        target_set(
            operation=operation,
            membership=facilitator,
            key=target.key,
            values={
                "range_min": target.range_min,
                "range_max": target.range_max,
                "action": f"Start{target.key} " + "Escalate to the duty manager and " * 110,
                "recipients": [f"person{n}@example.com" for n in range(40)],
            },
        )
    version = operation.versions.get()
    assert len(version.targets.first().action) > 3000

    for paper, expected in (("a4", A4_LANDSCAPE), ("letter", LETTER_LANDSCAPE)):
        pdf = criteria_pdf_render(version=version, paper=paper)
        assert [size(p) for p in pages(pdf)] == [expected]
        text = text_of(pdf)
        assert "Startfcr_complex Escalate to the duty manager" in text
        assert "…" in text
        assert "Department works-council" in text
        assert "DRAFT — NOT AGREED" in text


def test_when_nothing_fits_only_the_first_page_is_printed(personas, monkeypatch):
    monkeypatch.setattr("criteria.pdf.FITS", [Fit(base_pt=60, action_chars=4000, recipients=9)])

    pdf = criteria_pdf_render(version=personas.operation.versions.get())

    assert [size(p) for p in pages(pdf)] == [A4_LANDSCAPE]
    assert "DRAFT — NOT AGREED" in text_of(pdf)


def test_user_text_is_escaped_not_rendered(personas):
    operation = personas.operation
    target_set(
        operation=operation,
        membership=membership(personas.facilitator, operation),
        key="fcr_simple",
        values={"range_min": "0.8", "action": '<b>bold</b> <img src="http://example.com/x.png">'},
    )

    text = text_of(criteria_pdf_render(version=operation.versions.get()))

    assert "<b>bold</b>" in text


@pytest.mark.parametrize(
    "url",
    [
        "http://example.com/style.css",
        "https://fonts.example.com/font.woff2",
        "ftp://example.com/file",
        "file:///etc/passwd",
        "file://otherhost/srv/static/css/wall.css",
    ],
)
def test_the_url_fetcher_refuses_anything_but_local_static_files(url):
    with pytest.raises(RemoteResourceRefused):
        LocalOnlyFetcher().fetch(url)


def test_the_url_fetcher_serves_static_files_and_data_uris(settings):
    css = Path(settings.STATICFILES_DIRS[0]) / "css" / "wall.css"

    response = LocalOnlyFetcher().fetch(css.as_uri())
    assert b"@page" in response.read()
    response.close()
    response = LocalOnlyFetcher().fetch("data:text/plain,hello")
    assert response.read() == b"hello"
    response.close()


@pytest.fixture
def connections(monkeypatch) -> list:
    """Record every attempt to open a network connection (and stop it)."""
    attempts: list = []

    def refuse(self, address, *args, **kwargs):
        attempts.append(address)
        raise OSError("network access attempted in a test")

    def refuse_create(address, *args, **kwargs):
        attempts.append(address)
        raise OSError("network access attempted in a test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse_create)
    return attempts


def test_rendering_the_wall_opens_no_connection(agreed, connections):
    criteria_pdf_render(version=agreed)

    assert connections == []


def test_remote_resources_in_a_page_are_refused_not_fetched(connections, caplog):
    html = (
        '<link rel="stylesheet" href="http://example.com/evil.css">'
        "<style>@font-face { font-family: X; src: url(https://example.com/x.woff2) }</style>"
        '<p style="font-family: X">Hello</p><img src="http://example.com/tracker.png">'
    )
    with caplog.at_level(logging.WARNING, logger="weasyprint"):
        pdf = HTML(string=html, url_fetcher=LocalOnlyFetcher()).write_pdf()

    assert connections == []
    assert "Hello" in text_of(pdf)
    refused = [
        r.getMessage() for r in caplog.records if "local static files only" in r.getMessage()
    ]
    assert any("example.com/tracker.png" in m for m in refused)
    assert any("example.com/evil.css" in m for m in refused)


def test_command_writes_the_pdf(personas, agreed, tmp_path):
    out = StringIO()
    path = tmp_path / "wall.pdf"

    call_command("criteria_pdf", "eu-chat", "-o", str(path), stdout=out)

    pdf = path.read_bytes()
    assert [size(p) for p in pages(pdf)] == [A4_LANDSCAPE]
    assert "Approved for Legal" in text_of(pdf)
    assert f"eu-chat version {agreed.number} (agreed)" in out.getvalue()


def test_command_takes_version_and_paper(personas, agreed, tmp_path):
    target_set(
        operation=personas.operation,
        membership=membership(personas.facilitator, personas.operation),
        key="fcr_simple",
        values={"range_min": "0.9"},
    )
    path = tmp_path / "old.pdf"

    call_command(
        "criteria_pdf",
        "eu-chat",
        "--version",
        str(agreed.number),
        "--paper",
        "letter",
        "-o",
        str(path),
        stdout=StringIO(),
    )

    pdf = path.read_bytes()
    assert [size(p) for p in pages(pdf)] == [LETTER_LANDSCAPE]
    assert "≥ 80 %" in text_of(pdf) and "DRAFT" not in text_of(pdf)
    latest = tmp_path / "latest.pdf"
    call_command("criteria_pdf", "eu-chat", "-o", str(latest), stdout=StringIO())
    assert "≥ 90 %" in text_of(latest.read_bytes())
    assert "DRAFT — NOT AGREED" in text_of(latest.read_bytes())


def test_command_reports_unknown_operation_and_version(personas, tmp_path):
    with pytest.raises(CommandError, match="There is no operation 'nope'"):
        call_command("criteria_pdf", "nope", "-o", str(tmp_path / "x.pdf"))
    with pytest.raises(CommandError, match="has no version 7"):
        call_command("criteria_pdf", "eu-chat", "--version", "7", "-o", str(tmp_path / "x.pdf"))
    assert not (tmp_path / "x.pdf").exists()


def get(user, slug: str, number: int, query: str = ""):
    request = RequestFactory().get(f"/operations/{slug}/versions/{number}/pdf/{query}")
    request.user = user
    return version_pdf(request, slug=slug, number=number)


@pytest.mark.parametrize("who", ["facilitator", "ops_lead", "member", "reviewer", "viewer"])
def test_members_of_the_organization_download_the_pdf(personas, agreed, who):
    response = get(getattr(personas, who), "eu-chat", agreed.number)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert f"eu-chat-criteria-v{agreed.number}-a4.pdf" in response["Content-Disposition"]
    assert [size(p) for p in pages(response.content)] == [A4_LANDSCAPE]


def test_the_view_prints_on_letter_when_asked(personas, agreed):
    response = get(personas.viewer, "eu-chat", agreed.number, "?paper=letter")

    assert [size(p) for p in pages(response.content)] == [LETTER_LANDSCAPE]


def test_the_view_refuses_an_unknown_paper(personas, agreed):
    assert get(personas.viewer, "eu-chat", agreed.number, "?paper=a0").status_code == 400


def test_another_organization_gets_404(personas, agreed):
    with pytest.raises(Http404):
        get(personas.outsider, "eu-chat", agreed.number)
    with pytest.raises(Http404):
        get(personas.facilitator, "eu-chat", 99)


def test_anonymous_users_are_sent_to_log_in(personas, agreed):
    response = get(AnonymousUser(), "eu-chat", agreed.number)

    assert response.status_code == 302
    assert "login" in response["Location"]


def test_the_footer_links_to_the_version_at_site_url(agreed, settings):
    settings.SITE_URL = "https://stopline.example.com"
    text = "".join(
        page.extract_text()
        for page in PdfReader(BytesIO(criteria_pdf_render(version=agreed))).pages
    )
    assert "https://stopline.example.com/ops/eu-chat/versions/1/" in text.replace("\n", "")
