"""Data: each operation's Slack-compatible webhook URL becomes an outbox endpoint (Slack
format, alert events) with its own signing secret. Rerunnable: an endpoint that exists for
the same operation and URL is left alone."""

import secrets

from django.db import migrations


def forward(apps, schema_editor):
    Settings = apps.get_model("metrics", "OperationNotificationSettings")
    Endpoint = apps.get_model("outbox", "WebhookEndpoint")
    for row in Settings.objects.exclude(webhook_url=""):
        Endpoint.objects.get_or_create(
            operation_id=row.operation_id,
            url=row.webhook_url,
            defaults={
                "payload_format": "slack",
                "event_types": ["alert.opened", "alert.resolved"],
                "secret": "whsec_" + secrets.token_urlsafe(32),
                "description": "Moved from the notification settings",
            },
        )


class Migration(migrations.Migration):
    dependencies = [
        ("metrics", "0006_conversation_survey_comment"),
        ("outbox", "0001_events_endpoints_deliveries"),
    ]

    operations = [migrations.RunPython(forward, migrations.RunPython.noop)]
