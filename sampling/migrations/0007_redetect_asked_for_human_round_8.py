"""Judge the stored transcripts' customer turns again with round 8's "asked for a human"
matching: sentences kept apart ("Hi. Agent please!" is a request), stretched letters read
once, and wider lists ("agent tack, det är bråttom", "someone from billing please"). The work
is 0006's.
"""

from importlib import import_module

from django.db import migrations

redetect = import_module("sampling.migrations.0006_redetect_asked_for_human").redetect


class Migration(migrations.Migration):
    dependencies = [
        ("sampling", "0006_redetect_asked_for_human"),
        ("criteria", "0001_initial"),
    ]

    operations = [migrations.RunPython(redetect, migrations.RunPython.noop, elidable=True)]
