from __future__ import annotations

from django import forms
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from feedback.models import COMMENT_MAX, RATING_MAX, RATING_MIN

SCALE = [(n, f"{n}") for n in range(RATING_MIN, RATING_MAX + 1)]


def rating(label: str | Promise, *, required: bool) -> forms.TypedChoiceField:
    return forms.TypedChoiceField(
        label=label,
        choices=SCALE,
        coerce=int,
        empty_value=None,
        required=required,
        widget=forms.RadioSelect(attrs={"class": "scale"}),
        help_text=_("1 = very poor, 5 = excellent"),
    )


class SurveyForm(forms.Form):
    overall = rating(_("Overall, how satisfied are you with our support?"), required=True)
    speed = rating(_("How quick was our answer?"), required=False)
    quality = rating(_("How good was the solution?"), required=False)
    friendliness = rating(_("How friendly were we?"), required=False)
    would_recommend = forms.TypedChoiceField(
        label=_("Would you recommend us to a friend or colleague?"),
        choices=[("yes", _("Yes")), ("no", _("No"))],
        coerce=lambda value: value == "yes",
        empty_value=None,
        required=False,
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=_("Anything you would like to tell us? (optional)"),
        required=False,
        max_length=COMMENT_MAX,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
