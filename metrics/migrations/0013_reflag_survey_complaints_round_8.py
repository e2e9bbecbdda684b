"""Judge the stored survey comments again with round 8's phrase matching.

Round 8 keeps sentences apart (a negation or an outcome in another sentence no longer cancels
a complaint), reads stretched letters once and widens the lists (irrelevant answers, refusing
to pass the customer on, "where is the phone number", having to repeat oneself). The work is
0012's: every stored comment judged again, the survey counts of the days whose verdicts changed
recounted.
"""

from importlib import import_module

from django.db import migrations

reflag = import_module("metrics.migrations.0012_reflag_survey_complaints").reflag


class Migration(migrations.Migration):
    dependencies = [
        ("metrics", "0012_reflag_survey_complaints"),
        ("criteria", "0001_initial"),
    ]

    operations = [migrations.RunPython(reflag, migrations.RunPython.noop, elidable=True)]
