from django import forms

from outbox.endpoints import SUBSCRIBABLE
from outbox.models import EventType, WebhookEndpoint


class WebhookEndpointForm(forms.Form):
    url = forms.URLField(max_length=500, assume_scheme="https")
    description = forms.CharField(max_length=200, required=False)
    event_types = forms.MultipleChoiceField(
        choices=[(t, EventType(t).label) for t in SUBSCRIBABLE],
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="None ticked: every event.",
    )
    payload_format = forms.ChoiceField(
        choices=WebhookEndpoint.Format.choices, initial=WebhookEndpoint.Format.STOPLINE
    )
