from __future__ import annotations

import django_filters
from django.db.models import Case, IntegerField, QuerySet, Value, When
from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError
from rest_framework.filters import BaseFilterBackend, OrderingFilter

from core.api import BooleanFilter, IdFilter, IsoDateTimeFilter, ModelChoiceFilter, ReusedFormFilterSet
from tickets.models import PRIORITY_RANK, Category, Message, Priority, Source, Status, Ticket
from tickets.search import search_tickets
from tickets.visibility import hidden_team_ids


class TicketFilter(ReusedFormFilterSet):
    # distinct=False: these filter the ticket's own columns, so no row can repeat, and a
    # SELECT DISTINCT over every column (description included) would sort the whole match.
    status = django_filters.MultipleChoiceFilter(choices=Status.choices, distinct=False)
    priority = django_filters.MultipleChoiceFilter(choices=Priority.choices, distinct=False)
    category = ModelChoiceFilter(queryset=Category.objects.all(), to_field_name="slug")
    assigned_agent = IdFilter(field_name="assigned_agent_id")
    unassigned = BooleanFilter(field_name="assigned_agent", lookup_expr="isnull")
    team = IdFilter(field_name="team_id")
    no_team = BooleanFilter(field_name="team", lookup_expr="isnull")
    customer_email = django_filters.CharFilter(field_name="customer_email", lookup_expr="iexact")
    customer = IdFilter(field_name="customer_id")
    organization = IdFilter(field_name="customer__organization_id")
    tag = django_filters.CharFilter(field_name="tags__name")
    created_after = IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")

    class Meta:
        model = Ticket
        fields = []


class MessageFeedFilter(ReusedFormFilterSet):
    ticket = IdFilter(field_name="ticket_id")
    internal = BooleanFilter(field_name="internal")
    source = django_filters.ChoiceFilter(choices=Source.choices)
    created_after = IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")

    class Meta:
        model = Message
        fields = []


class TicketSearchFilter(BaseFilterBackend):
    """`?search=` over subject, description and public messages (tickets.search)."""

    def filter_queryset(self, request, queryset: QuerySet, view) -> QuerySet:
        text = request.query_params.get("search", "")
        if "\x00" in text:  # PostgreSQL refuses NUL in text; say so instead of failing
            raise ValidationError({"search": [_("Null characters are not allowed.")]})
        if not text.strip():
            return queryset
        return search_tickets(queryset, text[:200], hidden=hidden_team_ids(request.user))

    def get_schema_operation_parameters(self, view) -> list[dict]:
        return [
            {
                "name": "search",
                "required": False,
                "in": "query",
                "description": "Words to find in subject, description and public messages",
                "schema": {"type": "string"},
            }
        ]


def priority_rank() -> Case:
    """Urgency as a number (low 0 ... urgent 3), for ordering by priority."""
    return Case(
        *(When(priority=p, then=Value(rank)) for p, rank in PRIORITY_RANK.items()),
        output_field=IntegerField(),
    )


class TicketOrdering(OrderingFilter):
    """Ordering where `priority` means urgency (low < normal < high < urgent), not spelling."""

    ordering_fields = ["created_at", "updated_at", "priority", "status", "id", "resolution_due_at"]

    def filter_queryset(self, request, queryset, view):
        ordering = self.get_ordering(request, queryset, view)
        if not ordering:
            return queryset
        if any(term.lstrip("-") == "priority" for term in ordering):
            queryset = queryset.annotate(priority_rank=priority_rank())
            ordering = [term.replace("priority", "priority_rank") for term in ordering]
        return queryset.order_by(*ordering, "-id")
