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


class AlertActionForm(forms.Form):
    action = forms.ChoiceField(
        choices=[("acknowledge", "Acknowledge"), ("snooze", "Snooze"), ("resolve", "Resolve")]
    )
    note = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
    until = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))


class ReviewDecideForm(forms.Form):
    decision = forms.ChoiceField(
        choices=[
            ("continue", "Continue as agreed"),
            ("adjust", "Adjust the ranges (opens a criteria draft)"),
            ("pause", "Pause the AI for a segment"),
        ],
        widget=forms.RadioSelect,
    )
    pause_segment = forms.ChoiceField(
        choices=[("", "—"), ("all", "All"), ("simple", "Simple"), ("complex", "Complex")],
        required=False,
    )
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}))
