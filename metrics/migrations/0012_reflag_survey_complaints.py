"""Judge the stored survey comments again with the phrase lists of round 7.

The built-in "could not reach a person / not understood" lists were rewritten and find about
four times as many complaints (docs/drift-detection.md, "Survey complaints"). Left as they
were, the stored verdicts would keep the old lists' complaint rate for every day before the
upgrade and the new lists' after it: a step the warning tier would report as a rise in
complaints. So every stored comment is judged again and the survey counts of the days whose
verdicts changed are recounted (only those two counts: nothing else a verdict feeds).
"""

from collections import defaultdict

from django.db import migrations
from django.db.models import Count, Q

BATCH = 2000


def reflag(apps, schema_editor):
    from metrics.ingest.complaints import complaint_flag

    Conversation = apps.get_model("metrics", "Conversation")
    DailyAggregate = apps.get_model("metrics", "DailyAggregate")
    Operation = apps.get_model("criteria", "Operation")
    SurveyPhrases = apps.get_model("metrics", "SurveyPhrases")
    extras = dict(SurveyPhrases.objects.values_list("organization_id", "extra_complaint_phrases"))
    for operation in Operation.objects.only("pk", "organization_id").iterator():
        extra = extras.get(operation.organization_id)
        rows = (
            Conversation.objects.filter(operation_id=operation.pk)
            .exclude(survey_comment="")
            .only("pk", "local_date", "survey_comment", "survey_complaint")
        )
        changed, dates = [], set()
        for conversation in rows.iterator(chunk_size=BATCH):
            flag = complaint_flag(conversation.survey_comment, extra)
            if flag != conversation.survey_complaint:
                conversation.survey_complaint = flag
                changed.append(conversation)
                dates.add(conversation.local_date)
        if not changed:
            continue
        Conversation.objects.bulk_update(changed, ["survey_complaint"], batch_size=BATCH)
        counts = (
            Conversation.objects.filter(operation_id=operation.pk, local_date__in=dates)
            .values("local_date", "complexity")
            .annotate(
                comments=Count("survey_complaint"),
                complaints=Count("id", filter=Q(survey_complaint=True)),
            )
            .order_by()
        )
        wanted = defaultdict(lambda: (0, 0))
        for item in counts:
            wanted[(item["local_date"], item["complexity"])] = (
                item["comments"],
                item["complaints"],
            )
        days = DailyAggregate.objects.filter(
            operation_id=operation.pk, date__in=dates, source="conversations"
        )
        updated = []
        for day in days:
            day.survey_comments, day.survey_complaints = wanted[(day.date, day.segment)]
            updated.append(day)
        DailyAggregate.objects.bulk_update(
            updated, ["survey_comments", "survey_complaints"], batch_size=BATCH
        )
        from config.freshness import operation_changed

        operation_changed(operation.pk)


class Migration(migrations.Migration):
    dependencies = [
        ("metrics", "0011_conversation_line_hash"),
        ("criteria", "0001_initial"),
    ]

    operations = [migrations.RunPython(reflag, migrations.RunPython.noop, elidable=True)]
