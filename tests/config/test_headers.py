"""Security headers: CSP without inline script, Referrer-Policy, no framing."""

import re
from pathlib import Path

import pytest
from django.test import Client

from tests.criteria.test_views import login

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


def csp_directives(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in header.split(";") if part.strip()}


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/accounts/login/", "/diagnostic/", "/api/docs/"])
def test_pages_send_csp_referrer_policy_and_frame_denial(url, client, personas):
    if url.startswith("/api/"):
        login(client, personas.viewer)
    response = client.get(url)
    assert response.status_code == 200
    csp = csp_directives(response)
    assert csp["script-src"] == ["'self'"]  # no 'unsafe-inline', no 'unsafe-eval'
    # No inline style either, except Swagger UI's own (the API docs page alone).
    styles = ["'self'", "'unsafe-inline'"] if url == "/api/docs/" else ["'self'"]
    assert csp["style-src"] == styles
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["object-src"] == ["'none'"]
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"


@pytest.mark.django_db
def test_the_api_docs_page_has_no_inline_script(client, personas):
    login(client, personas.viewer)
    body = client.get("/api/docs/").content.decode()
    assert "swagger-ui" in body
    for tag in re.findall(r"<script\b[^>]*>", body):
        assert "src=" in tag, f"inline script on /api/docs/: {tag}"


def test_templates_have_no_inline_script_or_event_handlers():
    offenders = []
    for path in TEMPLATES.rglob("*.html"):
        text = path.read_text()
        for tag in re.findall(r"<script\b[^>]*>", text):
            if "src=" not in tag:
                offenders.append(f"{path.relative_to(TEMPLATES)}: {tag}")
        for handler in re.findall(r"\son[a-z]+\s*=", text):
            offenders.append(f"{path.relative_to(TEMPLATES)}: {handler.strip()}")
        if "javascript:" in text or "hx-on" in text:
            offenders.append(f"{path.relative_to(TEMPLATES)}: javascript: URL or hx-on")
    assert offenders == []


def test_a_page_of_ours_in_a_frame_is_refused(db):
    response = Client().get("/accounts/login/")
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]


def test_web_templates_hold_no_inline_style():
    """The CSP forbids inline styles: no template a browser renders may carry a style attribute
    or a <style> element (e-mails and the PDFs WeasyPrint draws are not web pages)."""
    offenders = []
    for path in TEMPLATES.rglob("*.html"):
        relative = path.relative_to(TEMPLATES).as_posix()
        if "/email/" in relative or "/pdf/" in relative:
            continue
        text = path.read_text()
        if re.search(r"\sstyle=|<style\b", text):
            offenders.append(relative)
    assert offenders == []
