"""Alerts and reviews written straight to the tables, for the page and API tests."""

from datetime import date, timedelta

from config.freshness import operation_changed
from criteria.models import CriteriaVersion, Operation
from metrics.models import Alert, AlertEvent, Review


def make_alert(
    operation: Operation,
    *,
    indicator: str = "escalation_rate",
    rule: str = "outside_range",
    opened_on: date = date(2026, 2, 20),
    state: str = "open",
    owner: str | None = "operations",
    due_in: int = 2,
) -> Alert:
    version = operation.versions.order_by("-number").first()
    assert isinstance(version, CriteriaVersion)
    alert = Alert.objects.create(
        operation=operation,
        version=version,
        indicator=indicator,
        rule=rule,
        direction="below",
        opened_on=opened_on,
        value=0.03,
        range_min=0.08,
        range_max=0.25,
        state=state,
        resolved_on=opened_on + timedelta(days=5) if state == "resolved" else None,
    )
    AlertEvent.objects.create(alert=alert, to_state="open", note="fired")
    operation_changed(operation.pk)  # as the alert lifecycle does
    if owner:
        Review.objects.create(
            alert=alert,
            owner=operation.organization.departments.get(key=owner),
            due_on=opened_on + timedelta(days=due_in),
        )
    return alert
