"""Judge the stored transcripts' customer turns again with the "asked for a human" lists of
round 7, which find about twice as many requests (tests/sampling/test_handoff_corpus.py).

The flag decides the sampling stratum "asked for a human but not escalated"; left as it was,
conversations stored before the upgrade would be drawn into it less often than later ones.
"""

from django.db import migrations

BATCH = 1000


def redetect(apps, schema_editor):
    from sampling.handoff_phrases import conversation_asked_for_human, phrases_merged

    Operation = apps.get_model("criteria", "Operation")
    Transcript = apps.get_model("sampling", "Transcript")
    HandoffPhrases = apps.get_model("sampling", "HandoffPhrases")
    SamplingSettings = apps.get_model("sampling", "SamplingSettings")
    by_organization = dict(HandoffPhrases.objects.values_list("organization_id", "phrases"))
    by_operation = dict(SamplingSettings.objects.values_list("operation_id", "extra_handoff_phrases"))
    for operation in Operation.objects.only("pk", "organization_id").iterator():
        extra = phrases_merged(
            by_organization.get(operation.organization_id), by_operation.get(operation.pk)
        )
        transcripts = Transcript.objects.filter(
            conversation__operation_id=operation.pk, erased_at__isnull=True
        ).only("pk", "messages", "language", "asked_for_human_detected")
        changed = []
        for transcript in transcripts.iterator(chunk_size=BATCH):
            asked = conversation_asked_for_human(
                transcript.messages or [], transcript.language or None, extra
            )
            if asked != transcript.asked_for_human_detected:
                transcript.asked_for_human_detected = asked
                changed.append(transcript)
        Transcript.objects.bulk_update(changed, ["asked_for_human_detected"], batch_size=BATCH)


class Migration(migrations.Migration):
    dependencies = [
        ("sampling", "0005_review_item_operation"),
        ("criteria", "0001_initial"),
    ]

    operations = [migrations.RunPython(redetect, migrations.RunPython.noop, elidable=True)]
