from __future__ import annotations

from django import forms
from django.conf import settings
from django.core.validators import MaxLengthValidator, MinLengthValidator
from django.template.defaultfilters import filesizeformat
from django.urls import reverse_lazy

from agents.models import validate_email_shape
from tickets.attachments import validate_uploads
from tickets.models import BODY_MAX, DESCRIPTION_MAX, DESCRIPTION_MIN, SUBJECT_MAX, Category


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Any number of files (limits checked by tickets.attachments.validate_uploads)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        files = data if isinstance(data, list | tuple) else ([data] if data else [])
        cleaned = [super(MultipleFileField, self).clean(item, initial) for item in files]
        validate_uploads(cleaned)
        return cleaned


def attachment_help() -> str:
    return (
        f"Up to {settings.ATTACHMENT_MAX_FILES} files of at most {filesizeformat(settings.ATTACHMENT_MAX_BYTES)} "
        "each: images, PDF, text, CSV, ZIP or Office documents."
    )


class AttachmentsHelpMixin:
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["attachments"].help_text = attachment_help()


class TicketForm(AttachmentsHelpMixin, forms.Form):
    customer_name = forms.CharField(label="Your name", max_length=255)
    customer_email = forms.EmailField(
        label="Your email", max_length=254, help_text="We send the answers here.", validators=[validate_email_shape]
    )
    category = forms.ModelChoiceField(
        label="What is it about?",
        queryset=Category.objects.all(),
        to_field_name="slug",
        empty_label="Choose a topic",
    )
    # As the customer types, htmx asks the help center for matching articles (the form
    # works the same without JavaScript; the page then shows them after a failed submit).
    subject = forms.CharField(
        max_length=SUBJECT_MAX,
        widget=forms.TextInput(
            attrs={
                "hx-get": reverse_lazy("kb:suggest"),
                "hx-trigger": "input changed delay:400ms",
                "hx-target": "#kb-suggestions",
                "hx-sync": "this:replace",
                "autocomplete": "off",
            }
        ),
    )
    description = forms.CharField(
        label="How can we help?",
        widget=forms.Textarea(attrs={"rows": 8}),
        validators=[MinLengthValidator(DESCRIPTION_MIN), MaxLengthValidator(DESCRIPTION_MAX)],
        help_text=f"{DESCRIPTION_MIN} to {DESCRIPTION_MAX} characters.",
    )
    attachments = MultipleFileField(label="Attachments (optional)")


class ReplyForm(AttachmentsHelpMixin, forms.Form):
    body = forms.CharField(
        label="Your reply",
        widget=forms.Textarea(attrs={"rows": 6}),
        validators=[MaxLengthValidator(BODY_MAX)],
    )
    attachments = MultipleFileField(label="Attachments (optional)")


class RatingForm(forms.Form):
    rating = forms.TypedChoiceField(
        label="How helpful was this reply?",
        choices=[(n, str(n)) for n in range(1, 6)],
        coerce=int,
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label="Comment (optional)", required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class LookupForm(forms.Form):
    email = forms.EmailField(label="The email address you wrote from", max_length=254)
