"""The API's merge and links of a ticket: actions of tickets.api.TicketViewSet, kept apart.

    POST   /api/support/tickets/{id}/merge           {"into": 12}: merge this ticket into #12
    GET    /api/support/tickets/{id}/links           the linked tickets the caller may see
    POST   /api/support/tickets/{id}/links           {"ticket": 12}: link #12 (201; 200 if linked)
    DELETE /api/support/tickets/{id}/links/{other}   unlink

A ticket number the caller may not see is answered as one of no ticket: 400 naming the field.
"""

from __future__ import annotations

from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from agents.roles import actor_for
from tickets import selectors
from tickets.merging import ticket_merge
from tickets.models import Ticket
from tickets.related import linked_tickets_for_user, ticket_link_add, ticket_link_remove

REFUSED = OpenApiResponse(description="Refused: the reason in `detail` (itself, merged or closed already)")


class MergeSerializer(serializers.Serializer):
    into = serializers.IntegerField(min_value=1, max_value=2**63 - 1, help_text="The ticket that goes on")


class LinkCreateSerializer(serializers.Serializer):
    ticket = serializers.IntegerField(min_value=1, max_value=2**63 - 1, help_text="The ticket to link")


class LinkedTicketSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    subject = serializers.CharField()
    status = serializers.CharField()


def _other(user, pk: int, field: str) -> Ticket:
    try:
        return selectors.get_ticket_for_user(user, pk, prefetch=False)
    except Http404:
        raise ValidationError({field: [_("No ticket #%(number)s that you can see.") % {"number": pk}]}) from None


def _linked(user, ticket: Ticket) -> list[dict]:
    return [{"id": t.pk, "subject": t.subject, "status": t.status} for t in linked_tickets_for_user(user, ticket)]


class MergeActions:
    """Mixed into TicketViewSet: `_ticket()` and `_detail()` are the viewset's."""

    @extend_schema(
        request=MergeSerializer, responses={200: OpenApiResponse(description="The ticket merged into"), 409: REFUSED}
    )
    @action(detail=True, methods=["post"])
    def merge(self, request, pk=None):
        """Merge this ticket (a duplicate) into `into`: its description and messages move there,
        CCs and followers join, it is closed with `merged_into`, and its customer is emailed.
        Answers the ticket merged into, as its detail reads. 409 for a merge refused."""
        ticket = self._ticket()
        serializer = MergeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        target = _other(request.user, serializer.validated_data["into"], "into")
        merged = ticket_merge(source=ticket, target=target, actor=actor_for(request.user))
        return self._detail(merged.pk)

    @extend_schema(methods=["GET"], responses={200: LinkedTicketSerializer(many=True)})
    @extend_schema(
        methods=["POST"],
        request=LinkCreateSerializer,
        responses={201: LinkedTicketSerializer(many=True), 200: LinkedTicketSerializer(many=True)},
    )
    @action(detail=True, methods=["get", "post"], filter_backends=[], pagination_class=None)
    def links(self, request, pk=None):
        """The related tickets the caller may see; POST `{"ticket": id}` links one more (201; 200
        if linked already) and answers the list. A ticket cannot be linked to itself (400)."""
        ticket = self._ticket()
        if request.method == "GET":
            return Response(_linked(request.user, ticket))
        serializer = LinkCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        other = _other(request.user, serializer.validated_data["ticket"], "ticket")
        added = ticket_link_add(ticket=ticket, other=other, actor=actor_for(request.user))
        return Response(_linked(request.user, ticket), status=status.HTTP_201_CREATED if added else status.HTTP_200_OK)

    @extend_schema(request=None, responses={204: None})
    @action(detail=True, methods=["delete"], url_path=r"links/(?P<other>[0-9]+)", url_name="link-detail")
    def link_remove(self, request, pk=None, other=None):
        """Unlink ticket `other` (404 if they are not linked)."""
        ticket = self._ticket()
        if not ticket_link_remove(ticket=ticket, other_id=int(other), actor=actor_for(request.user)):
            raise Http404(_("The tickets are not linked."))
        return Response(status=status.HTTP_204_NO_CONTENT)
