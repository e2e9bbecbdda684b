import pytest
from django.urls import reverse

from criteria.diagnostic import CANNOT, ESSENTIAL, diagnose
from criteria.models import AuditEvent, Operation
from tests.criteria.test_views import login


def test_handling_time_cannot_reveal_and_escalation_is_essential():
    result = diagnose(["aht", "escalation", "fcr_blended"])
    verdicts = {e.key: e for e in result.entries}
    assert verdicts["aht"].verdict == CANNOT
    assert "speed" in verdicts["aht"].why
    assert verdicts["escalation"].verdict == ESSENTIAL
    assert "lower bound" in verdicts["escalation"].why
    # Tracking escalation covers that indicator; FCR split and review score are still missing.
    assert [k for k, _ in result.missing] == ["fcr_split", "review_score"]


def test_page_works_without_login_and_without_an_operation(client, db):
    response = client.get(
        reverse("criteria:diagnostic"), {"tracked": ["aht", "escalation"], "custom": "NPS"}
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "Cannot reveal the problem" in body and "Essential" in body
    assert "NPS" in body and "Log in" in body


def test_facilitator_saves_result_as_first_draft(client, personas):
    login(client, personas.facilitator)
    response = client.post(
        reverse("criteria:diagnostic_save"),
        {
            "organization": personas.org.pk,
            "title": "Voice bot Nordics",
            "slug": "voice-nordics",
            "tracked": ["aht", "csat"],
        },
    )
    assert response.status_code == 302
    operation = Operation.objects.get(slug="voice-nordics")
    assert operation.organization == personas.org
    version = operation.versions.get()
    assert version.is_draft and version.targets.count() == 4
    assert AuditEvent.objects.filter(operation=operation, action="diagnostic_saved").exists()


@pytest.mark.parametrize("persona", ["member", "viewer", "outsider"])
def test_only_facilitators_of_that_organization_can_save(client, personas, persona):
    login(client, getattr(personas, persona))
    response = client.post(
        reverse("criteria:diagnostic_save"),
        {"organization": personas.org.pk, "title": "Sneaky", "tracked": ["aht"]},
    )
    assert response.status_code in (302, 403)
    assert not Operation.objects.filter(title="Sneaky").exists()


def test_taken_slug_is_a_message_not_an_error(client, personas):
    login(client, personas.facilitator)
    response = client.post(
        reverse("criteria:diagnostic_save"),
        {
            "organization": personas.org.pk,
            "title": "Again",
            "slug": personas.operation.slug,
        },
        follow=True,
    )
    assert response.status_code == 200
    assert "exists already" in response.content.decode()
