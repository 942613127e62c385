from __future__ import annotations

from django import forms

from feedback.models import COMMENT_MAX, RATING_MAX, RATING_MIN

SCALE = [(n, f"{n}") for n in range(RATING_MIN, RATING_MAX + 1)]


def rating(label: str, *, required: bool) -> forms.TypedChoiceField:
    return forms.TypedChoiceField(
        label=label,
        choices=SCALE,
        coerce=int,
        empty_value=None,
        required=required,
        widget=forms.RadioSelect(attrs={"class": "scale"}),
        help_text="1 = very poor, 5 = excellent",
    )


class SurveyForm(forms.Form):
    overall = rating("Overall, how satisfied are you with our support?", required=True)
    speed = rating("How quick was our answer?", required=False)
    quality = rating("How good was the solution?", required=False)
    friendliness = rating("How friendly were we?", required=False)
    would_recommend = forms.TypedChoiceField(
        label="Would you recommend us to a friend or colleague?",
        choices=[("yes", "Yes"), ("no", "No")],
        coerce=lambda value: value == "yes",
        empty_value=None,
        required=False,
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label="Anything you would like to tell us? (optional)",
        required=False,
        max_length=COMMENT_MAX,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
