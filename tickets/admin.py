"""Tickets in Django admin: categories and tags are managed here; tickets are read here and
worked through the agent UI and the API, which keep the history and send the emails."""

from django import forms
from django.contrib import admin, messages
from django.utils.translation import gettext_lazy, ngettext

from agents.roles import actor_for
from tickets.models import Attachment, Category, Message, Tag, Ticket, TicketEvent
from tickets.services import ticket_rotate_link
from tickets.tags import clean_tag_name, tag_rename


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "team", "description"]
    list_filter = ["team"]
    list_select_related = ["team"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}


class TagForm(forms.ModelForm):
    class Meta:
        model = Tag
        fields = ["name"]

    def clean_name(self) -> str:
        return clean_tag_name(self.cleaned_data["name"])


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    """Tags as the API has them (tickets.tags): names in lower case, one word, and a rename
    that takes saved views, articles and automation rules naming the old name along."""

    form = TagForm
    search_fields = ["name"]

    def save_model(self, request, obj: Tag, form, change: bool) -> None:
        if change and "name" in form.changed_data:
            tag_rename(tag=Tag.objects.get(pk=obj.pk), name=obj.name)
        else:
            super().save_model(request, obj, form, change)


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class MessageInline(ReadOnlyInline):
    model = Message
    fk_name = "ticket"  # not merged_from
    fields = ["created_at", "author_type", "author_name", "internal", "body", "rating"]


class AttachmentInline(ReadOnlyInline):
    model = Attachment
    fields = ["name", "size", "content_type", "message", "created_at"]


class EventInline(ReadOnlyInline):
    model = TicketEvent
    fields = ["created_at", "kind", "actor_type", "actor_name", "old_value", "new_value"]


@admin.register(Ticket)
class TicketAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "subject",
        "customer_email",
        "status",
        "priority",
        "category",
        "assigned_agent",
        "created_at",
    ]
    list_filter = ["status", "priority", "category", "channel", "assigned_agent"]
    search_fields = ["=id", "subject", "customer_email", "customer_name", "external_customer_id"]
    date_hierarchy = "created_at"
    list_select_related = ["category", "assigned_agent"]
    inlines = [MessageInline, AttachmentInline, EventInline]
    exclude = ["search_vector", "access_key"]
    actions = ["rotate_private_links"]

    @admin.action(description=gettext_lazy("Replace the private links (each customer is emailed the new one)"))
    def rotate_private_links(self, request, queryset) -> None:
        tickets = list(queryset)
        for ticket in tickets:
            ticket_rotate_link(ticket=ticket, actor=actor_for(request.user))
        message = ngettext(
            # Translators: the English is the same for one ticket and for many.
            "Replaced the private link of %(count)d ticket(s); the old links no longer open them.",
            "Replaced the private link of %(count)d ticket(s); the old links no longer open them.",
            len(tickets),
        )
        self.message_user(request, message % {"count": len(tickets)}, messages.SUCCESS)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return request.user.is_superuser
