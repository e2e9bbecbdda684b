"""A fresh load writes a million conversations into three B-tree indexes; each costs PostgreSQL
about as much as the rows themselves (docs/performance.md, "The tenth round"). The index on
(operation, local_date) is replaced:

- by a BRIN index on PostgreSQL (a summary per 128 pages: almost free to keep up as rows are
  appended, and enough for the queries by day: the day counts rebuilt after an ingest, the
  week a sampling draw reads);
- by a partial index of the flagged comments (operation, local_date WHERE survey_complaint),
  which the newest-first list of flagged comments reads (a few per cent of the rows).

The id sequence hands a connection a thousand values at a time on PostgreSQL instead of one per
row (ids stay unique; they are no longer gapless or in insertion order across connections), and
metadata defaults to {} there, so that a direct load of a file without unknown columns need not
send it (PostgreSQL parses no JSON for it).
"""

from django.db import migrations, models

BRIN = "conversation_op_date_brin"


def _postgres_forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        f"CREATE INDEX {BRIN} ON metrics_conversation USING brin (operation_id, local_date) "
        "WITH (autosummarize = on)"
    )
    schema_editor.execute("ALTER TABLE metrics_conversation ALTER COLUMN id SET CACHE 1000")
    # What a direct load of a file without unknown columns leaves out (pg_csv).
    schema_editor.execute(
        "ALTER TABLE metrics_conversation ALTER COLUMN metadata SET DEFAULT '{}'::jsonb"
    )


def _postgres_backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"DROP INDEX IF EXISTS {BRIN}")
    schema_editor.execute("ALTER TABLE metrics_conversation ALTER COLUMN id SET CACHE 1")
    schema_editor.execute("ALTER TABLE metrics_conversation ALTER COLUMN metadata DROP DEFAULT")


class Migration(migrations.Migration):
    dependencies = [
        ("metrics", "0013_reflag_survey_complaints_round_8"),
    ]

    operations = [
        migrations.RemoveIndex(model_name="conversation", name="conversation_op_date"),
        migrations.AddIndex(
            model_name="conversation",
            index=models.Index(
                fields=["operation", "local_date"],
                condition=models.Q(survey_complaint=True),
                name="conversation_op_complaint",
            ),
        ),
        migrations.RunPython(_postgres_forwards, _postgres_backwards),
    ]
