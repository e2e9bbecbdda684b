"""Metrics' answer to guardrails: should the AI hand off cautiously? (see guardrails.caution)"""

from criteria.models import IndicatorKey, Operation, indicator_label
from metrics.models import Alert


def escalation_caution(operation: Operation) -> str | None:
    """The reason to be cautious while an alert on the human-escalation rate stands (open,
    acknowledged or snoozed: anything not resolved, whatever its severity), else None."""
    alert = (
        Alert.objects.filter(operation=operation, indicator=IndicatorKey.ESCALATION_RATE)
        .exclude(state=Alert.State.RESOLVED)
        .order_by("-opened_on", "-id")
        .first()
    )
    if alert is None:
        return None
    return (
        f"{indicator_label(alert.indicator)} alert since {alert.opened_on:%Y-%m-%d}: "
        f"{alert.get_direction_display().lower()} (value {alert.value_display}, "
        f"range {alert.range_display}), {alert.get_state_display().lower()}"
    )
