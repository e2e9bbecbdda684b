"""The workshop board's backtest line for the draft range."""

from datetime import date

from django.http import HttpRequest
from django.urls import reverse

from criteria.services import target_set
from metrics.models import Alert
from tests.conftest import PASSWORD
from tests.criteria.signing import membership
from tests.metrics.drift_data import add_days


def board(client, personas) -> str:
    assert client.login(request=HttpRequest(), username="viewer", password=PASSWORD)
    response = client.get(reverse("criteria:board", args=["eu-chat"]))
    assert response.status_code == 200
    return response.content.decode()


def test_no_line_without_data(client, personas):
    assert "would have fired" not in board(client, personas)


def test_the_draft_range_is_backtested_on_the_pilot_data(client, personas):
    op = personas.operation
    # Three dips below 10 %, each four days long, in otherwise ordinary data at 15 %.
    dips = {10, 11, 12, 13, 30, 31, 32, 33, 50, 51, 52, 53}
    add_days(op, date(2026, 1, 5), 70, escalation=lambda i: 0.04 if i in dips else 0.15)
    target_set(
        operation=op,
        membership=membership(personas.facilitator, op),
        key="escalation_rate",
        values={"range_min": "0.10", "range_max": "0.25", "for_days": 3},
    )
    page = board(client, personas)
    assert 'data-backtest="escalation_rate" data-fired="3"' in page
    assert "On the pilot data this range would have fired 3 times" in page
    assert Alert.objects.count() == 0  # a backtest writes nothing
