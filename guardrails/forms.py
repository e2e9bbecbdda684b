from django import forms

from guardrails.models import Segment


class PauseForm(forms.Form):
    segment = forms.ChoiceField(choices=Segment.choices)
    reason = forms.CharField(max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))


class FlagKeyForm(forms.Form):
    name = forms.CharField(max_length=100, required=False)
