"""Uploaded files: limits from settings, sanitised names, stored through Django's storage."""

from __future__ import annotations

import mimetypes
import os
from collections.abc import Sequence

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.template.defaultfilters import filesizeformat
from django.utils.text import get_valid_filename
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext

from tickets.models import Attachment, Message, Ticket


def clean_filename(name: str) -> str:
    """A name safe to store and to send back: no folders, no odd characters, bounded length."""
    base = get_valid_filename(os.path.basename(name.replace("\\", "/"))) or "file"
    stem, extension = os.path.splitext(base)
    return (stem[: 120 - len(extension)] or "file") + extension.lower()


def validate_uploads(files: Sequence[UploadedFile]) -> None:
    """Refuse too many files, too large a file, or a type outside the allowlist.

    The type must be allowed both as the browser declared it and as the file name's
    extension implies, so `page.html` sent as text/plain is refused.
    """
    limit = settings.ATTACHMENT_MAX_FILES
    if len(files) > limit:
        raise ValidationError(
            ngettext("At most %(count)d file can be attached.", "At most %(count)d files can be attached.", limit)
            % {"count": limit}
        )
    allowed = set(settings.ATTACHMENT_ALLOWED_TYPES)
    for upload in files:
        name = clean_filename(upload.name or "")
        if upload.size > settings.ATTACHMENT_MAX_BYTES:
            raise ValidationError(
                # Translators: "size" and "limit" are file sizes ("11.0 MB").
                _("%(name)s is %(size)s; the limit is %(limit)s.")
                % {
                    "name": name,
                    "size": filesizeformat(upload.size),
                    "limit": filesizeformat(settings.ATTACHMENT_MAX_BYTES),
                }
            )
        declared = (upload.content_type or "").split(";")[0].strip().lower()
        guessed = mimetypes.guess_type(name)[0]
        if declared not in allowed or guessed not in allowed:
            raise ValidationError(
                # Translators: "type" is a media type ("application/x-msdownload"), or the word for "unknown".
                _("%(name)s: files of type %(type)s cannot be attached.")
                % {"name": name, "type": declared or pgettext("file type", "unknown")}
            )


def attachments_save(*, ticket: Ticket, message: Message | None, files: Sequence[UploadedFile]) -> list[Attachment]:
    saved = []
    for upload in files:
        name = clean_filename(upload.name or "")
        attachment = Attachment(
            ticket=ticket,
            message=message,
            name=name,
            size=upload.size,
            content_type=(upload.content_type or "application/octet-stream").split(";")[0].strip().lower(),
        )
        attachment.file.save(name, upload, save=False)
        attachment.save()
        saved.append(attachment)
    return saved
