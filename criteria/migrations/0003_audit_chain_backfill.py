"""Seal the audit events written before the hash chain existed (rerunnable: sealed ones stay)."""

from django.db import migrations


def seal_existing(apps, schema_editor):
    from criteria.audit import event_content, event_hash

    AuditEvent = apps.get_model("criteria", "AuditEvent")
    org_ids = AuditEvent.objects.values_list("organization_id", flat=True).distinct()
    for org_id in org_ids:
        prev = ""
        for event in AuditEvent.objects.filter(organization_id=org_id).order_by("id"):
            if not event.event_hash:
                event.prev_hash = prev
                event.event_hash = event_hash(event_content(event), prev)
                event.save(update_fields=["prev_hash", "event_hash"])
            prev = event.event_hash


class Migration(migrations.Migration):
    dependencies = [("criteria", "0002_audit_chain_and_archived_operations")]

    operations = [migrations.RunPython(seal_existing, migrations.RunPython.noop)]
