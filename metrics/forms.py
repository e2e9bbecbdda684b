from django import forms

KIND_CHOICES = [
    ("", "Detect from the header"),
    ("conversations", "Conversations (one row per contact)"),
    ("daily", "Daily aggregates (one row per day and segment)"),
]


class IngestUploadForm(forms.Form):
    file = forms.FileField(
        help_text="CSV or JSON Lines, optionally gzip-compressed (.csv.gz, .jsonl.gz)."
    )
    kind = forms.ChoiceField(choices=KIND_CHOICES, required=False)
