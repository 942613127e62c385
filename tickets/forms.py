from __future__ import annotations

import re

from django import forms
from django.conf import settings
from django.core.validators import MaxLengthValidator, MinLengthValidator
from django.template.defaultfilters import filesizeformat
from django.urls import reverse_lazy
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from agents.models import validate_email_shape
from tickets.attachments import validate_uploads
from tickets.ccs import CC_MAX, CCRefused, clean_cc_list
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
    count = settings.ATTACHMENT_MAX_FILES
    return ngettext(
        # Translators: "size" is a file size ("10 MB").
        "Up to %(count)d file of at most %(size)s each: images, PDF, text, CSV, ZIP or Office documents.",
        "Up to %(count)d files of at most %(size)s each: images, PDF, text, CSV, ZIP or Office documents.",
        count,
    ) % {"count": count, "size": filesizeformat(settings.ATTACHMENT_MAX_BYTES)}


def _length_help(low: int, high: int) -> str:
    return ngettext("%(low)d to %(high)d character.", "%(low)d to %(high)d characters.", high) % {
        "low": low,
        "high": high,
    }


class AttachmentsHelpMixin:
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["attachments"].help_text = attachment_help()


class TicketForm(AttachmentsHelpMixin, forms.Form):
    customer_name = forms.CharField(label=_("Your name"), max_length=255)
    customer_email = forms.EmailField(
        label=_("Your email"),
        max_length=254,
        help_text=_("We send the answers here."),
        validators=[validate_email_shape],
    )
    category = forms.ModelChoiceField(
        label=_("What is it about?"),
        queryset=Category.objects.all(),
        to_field_name="slug",
        empty_label=_("Choose a topic"),
    )
    # As the customer types, htmx asks the help center for matching articles (the form
    # works the same without JavaScript; the page then shows them after a failed submit).
    subject = forms.CharField(
        label=_("Subject"),
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
        label=_("How can we help?"),
        widget=forms.Textarea(attrs={"rows": 8}),
        validators=[MinLengthValidator(DESCRIPTION_MIN), MaxLengthValidator(DESCRIPTION_MAX)],
        help_text=lazy(_length_help, str)(DESCRIPTION_MIN, DESCRIPTION_MAX),
    )
    cc = forms.CharField(
        label=_("Copy others (optional)"),
        required=False,
        max_length=2000,
        help_text=lazy(
            lambda: (
                _("Addresses of colleagues who should get our replies too, separated by commas (at most %(max)d).")
                % {"max": CC_MAX}
            ),
            str,
        )(),
    )
    attachments = MultipleFileField(label=_("Attachments (optional)"))

    def clean_cc(self) -> list[str]:
        return cc_field_addresses(self.cleaned_data["cc"])

    def clean(self):
        data = super().clean()
        email = (data.get("customer_email") or "").strip().lower()
        if email and email in data.get("cc", []):
            self.add_error(
                "cc", _("%(address)s is your own address; you receive the replies already.") % {"address": email}
            )
        return data


def split_addresses(text: str) -> list[str]:
    """Addresses typed in one field, separated by commas, semicolons or spaces."""
    return [part for part in re.split(r"[,;\s]+", text or "") if part]


def cc_field_addresses(text: str, *, customer_email: str = "", existing: int = 0) -> list[str]:
    """A form's CC field as stored addresses, or the field's error (tickets.ccs says why)."""
    try:
        return clean_cc_list(split_addresses(text), customer_email=customer_email, existing=existing)
    except CCRefused as refused:
        raise forms.ValidationError(str(refused)) from None


class ReplyForm(AttachmentsHelpMixin, forms.Form):
    body = forms.CharField(
        label=_("Your reply"),
        widget=forms.Textarea(attrs={"rows": 6}),
        validators=[MaxLengthValidator(BODY_MAX)],
    )
    attachments = MultipleFileField(label=_("Attachments (optional)"))


class RatingForm(forms.Form):
    rating = forms.TypedChoiceField(
        label=_("How helpful was this reply?"),
        choices=[(n, str(n)) for n in range(1, 6)],
        coerce=int,
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=_("Comment (optional)"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class LookupForm(forms.Form):
    email = forms.EmailField(label=_("The email address you wrote from"), max_length=254)
