"""Tags as a resource: created, renamed, merged into another and deleted by supervisors.

A tag is named by its text everywhere but on tickets: saved views filter by a tag's name,
knowledge articles list names, automation rules (triggers' and time rules' conditions,
"add tags"/"remove tags" actions of triggers, time rules and macros) hold names separated by
commas. A rename or a merge that left those naming the old tag would quietly break them: a
rule adding "billing" would bring the old tag back, a view filtering by it would show
nothing. So every reference follows the tag, as a person renaming it means it to:

- rename A to B: the tag keeps its tickets (the same row, a new name), and every reference
  to A now says B. Tickets' history lines are not rewritten: they say what the tag was called
  at the time.
- merge A into B: every ticket tagged A is tagged B (once), with a line in its history;
  every reference to A says B (a list naming both names B once); A is deleted.
- delete A: its tickets lose it (no history line: it is gone from every ticket at once); the
  references stay as they are, since nothing can say what they should become, and a rule's
  "add tags" makes A again when it runs.

The apps above tickets that name tags register a `Renamer` here (their AppConfig.ready), as
customers.merging's movers: `renamer(old=, new=)` is called inside the rename's or merge's
transaction, rewrites its rows and returns how many it changed. Neither a rename nor a
merge runs triggers or sends ticket webhooks: it relabels, it does not work the tickets.
Integrators see merged tickets through their `updated_at`, which the merge moves on.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import OperationalError, transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from agents.roles import Actor
from core.refusals import Refusal
from tickets.models import EventKind, SavedView, Tag
from tickets.queries import merge_tag_links

Renamer = Callable[..., int]

_renamers: list[Renamer] = []

# A merge locks every ticket it moves until it commits. Waiting behind an agent's open
# transaction on one of them would make every later writer of those tickets wait behind the
# merge in turn; so it waits this long for a lock, then gives up (TagBusy) to be tried again.
MERGE_LOCK_TIMEOUT = "5s"
LOCK_NOT_AVAILABLE = "55P03"


def register(renamer: Renamer) -> None:
    if renamer not in _renamers:
        _renamers.append(renamer)


class TagBusy(Refusal):
    """Another change holds the tag's tickets; nothing was changed."""


class TagRefused(Refusal):
    """A merge that cannot be done (into itself)."""


@dataclass(frozen=True)
class TagChange:
    """What a rename or a merge changed, as the API reports it."""

    tickets: int  # tickets moved to the other tag (a merge; 0 for a rename)
    references: int  # saved views, articles and automation parts that now name the new tag


def replace_name(names: list[str], *, old: str, new: str) -> list[str]:
    """`names` with `old` replaced by `new`, in their order, each name once."""
    replaced: list[str] = []
    for name in names:
        name = new if name == old else name
        if name not in replaced:
            replaced.append(name)
    return replaced


def _rename_references(*, old: str, new: str) -> int:
    changed = SavedView.objects.filter(tag=old).update(tag=new)
    return changed + sum(renamer(old=old, new=new) for renamer in _renamers)


def clean_tag_name(value: str) -> str:
    """A tag's name as tickets store it (lower case, as tags_from_names makes them), or a
    ValidationError saying the rule; the API and the admin both check names here."""
    name = value.strip().lower()
    if not name or slugify(name, allow_unicode=True) != name:
        raise ValidationError(_("A tag is one word of letters, digits, - and _ (no spaces)."), code="invalid")
    return name


def tag_create(*, name: str) -> Tag:
    return Tag.objects.create(name=name)


@transaction.atomic
def tag_rename(*, tag: Tag, name: str) -> TagChange:
    """Give `tag` a new name; what named the old one names the new (module docstring)."""
    old = Tag.objects.select_for_update().get(pk=tag.pk).name
    if old == name:
        return TagChange(tickets=0, references=0)
    tag.name = name
    tag.save(update_fields=["name"])
    return TagChange(tickets=0, references=_rename_references(old=old, new=name))


@transaction.atomic
def tag_merge(*, source: Tag, target: Tag, actor: Actor) -> TagChange:
    """Merge `source` into `target` and delete `source`.

    1. Lock both tags (in id order, so two merges of the same pair cannot deadlock), and
       wait at most MERGE_LOCK_TIMEOUT for the tickets' locks.
    2. Move the tickets in one set-based statement (tickets.queries.merge_tag_links): each
       ticket tagged `source` gets `target` once, a TAGS line in its history and a new
       `updated_at`.
    3. Rewrite every reference to the old name (saved views, then the registered renamers).
    4. Delete `source`.
    """
    if source.pk == target.pk:
        raise TagRefused(_("A tag cannot be merged into itself."))
    locked = {t.pk: t for t in Tag.objects.select_for_update().filter(pk__in=[source.pk, target.pk]).order_by("pk")}
    if len(locked) < 2:  # deleted by a request that ran meanwhile
        raise TagRefused(_("One of the two tags was deleted meanwhile; nothing was merged."))
    source, target = locked[source.pk], locked[target.pk]
    try:
        with transaction.atomic():
            moved = merge_tag_links(
                source=source,
                target=target,
                kind=EventKind.TAGS,
                actor_type=actor.type,
                actor_user_id=actor.user.pk if actor.user is not None and actor.user.pk else None,
                actor_name=actor.name,
                now=timezone.now(),
                lock_timeout=MERGE_LOCK_TIMEOUT,
            )
    except OperationalError as error:
        if getattr(error.__cause__, "sqlstate", None) != LOCK_NOT_AVAILABLE:
            raise
        raise TagBusy(
            _("Some of the tag's tickets are being changed right now; nothing was merged. Try again.")
        ) from error
    references = _rename_references(old=source.name, new=target.name)
    source.delete()
    return TagChange(tickets=moved, references=references)
