"""REST API of tickets: /api/support/tickets and its sub-resources."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response

from agents.models import Agent
from agents.permissions import WorksTickets
from agents.roles import actor_for, agent_for, is_supervisor
from core.api import ConditionalUpdates, Pagination, SyncPagination
from tickets import selectors, services
from tickets.assignment import ticket_assign, ticket_auto_assign
from tickets.ccs import CCRefused, ticket_cc_add, ticket_cc_remove, ticket_ccs
from tickets.filters import MessageFeedFilter, TicketFilter, TicketOrdering, TicketSearchFilter
from tickets.following import followers_of, ticket_follow, ticket_unfollow
from tickets.merging_api import MergeActions
from tickets.models import Attachment, Message, TicketCC
from tickets.serializers import (
    AssignSerializer,
    CCCreateSerializer,
    CCSerializer,
    FollowSerializer,
    MessageCreateSerializer,
    MessageFeedSerializer,
    MessageSerializer,
    MessageUploadSerializer,
    RatingSerializer,
    TicketCreateSerializer,
    TicketDetailSerializer,
    TicketEventSerializer,
    TicketSerializer,
    TicketUpdateSerializer,
    TicketUploadSerializer,
)

CONFLICT = OpenApiResponse(description="The change is not allowed in the ticket's current state")


class TicketViewSet(
    ConditionalUpdates,
    MergeActions,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Tickets the caller may see, each with its conversation, history and attachments."""

    permission_classes = [WorksTickets]
    filter_backends = [DjangoFilterBackend, TicketSearchFilter, TicketOrdering]
    filterset_class = TicketFilter
    ordering = ["-created_at"]
    serializer_class = TicketSerializer
    # Page numbers, or a cursor by updated_at for incremental sync (lists and messages).
    pagination_class = SyncPagination
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self):
        if self.action == "list":
            return selectors.ticket_list_for_user(self.request.user)
        return selectors.tickets_for_user(self.request.user)

    def paginate_queryset(self, queryset):
        page = super().paginate_queryset(queryset)
        if page is not None and self.action == "list":  # a page of tickets, not of messages
            selectors.read_lists(page)
        return page

    def get_serializer_class(self):
        return TicketDetailSerializer if self.action == "retrieve" else TicketSerializer

    def _ticket(self):
        return selectors.get_ticket_for_user(self.request.user, self.kwargs["pk"], prefetch=False)

    def retrieve(self, request, *args, **kwargs):
        return self._detail(self.kwargs["pk"])

    def _detail(self, pk, status_code=status.HTTP_200_OK) -> Response:
        ticket = selectors.get_ticket_for_user(self.request.user, pk, conversation=True)
        return Response(TicketDetailSerializer(ticket, context={"request": self.request}).data, status=status_code)

    @extend_schema(request=TicketCreateSerializer, responses={201: TicketDetailSerializer})
    def create(self, request, *args, **kwargs):
        """Open a ticket. The body is JSON and carries no files: a ticket with files is opened
        through `POST /api/support/tickets/with-attachments` (multipart/form-data)."""
        return self._create(TicketCreateSerializer(data=request.data))

    @extend_schema(
        operation_id="support_tickets_with_attachments_create",
        request=TicketUploadSerializer,
        responses={201: TicketDetailSerializer},
    )
    @action(
        detail=False,
        methods=["post"],
        url_path="with-attachments",
        url_name="with-attachments",
        parser_classes=[MultiPartParser],
        filter_backends=[],
        pagination_class=None,
    )
    def create_with_attachments(self, request):
        """Open a ticket with files: the fields of `POST /api/support/tickets` as a
        multipart/form-data body, plus one `attachments` part per file."""
        return self._create(TicketUploadSerializer(data=request.data))

    def _create(self, serializer: TicketCreateSerializer) -> Response:
        serializer.is_valid(raise_exception=True)
        ticket = services.ticket_create(actor=actor_for(self.request.user), **serializer.validated_data)
        return self._detail(ticket.pk, status.HTTP_201_CREATED)

    @extend_schema(request=TicketUpdateSerializer, responses={200: TicketDetailSerializer, 409: CONFLICT})
    def partial_update(self, request, *args, **kwargs):
        ticket = self._ticket()
        serializer = TicketUpdateSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        try:
            ticket = services.ticket_update(ticket=ticket, actor=actor_for(request.user), **serializer.validated_data)
        except DjangoValidationError as refused:  # an address no customer profile can be keyed by
            raise ValidationError(refused.message_dict) from refused
        # The ticket as changed, even when the change moved it to a restricted team the caller
        # is not in (they no longer see it, but the change was made: not a 404).
        changed = selectors.changed_ticket_for_user(request.user, ticket.pk)
        return Response(TicketDetailSerializer(changed, context={"request": request}).data)

    @extend_schema(request=AssignSerializer, responses={200: TicketDetailSerializer, 409: CONFLICT})
    @action(detail=True, methods=["post"])
    def assign(self, request, pk=None):
        """`{"agent": id}` assigns (capacity checked; `override` for supervisors), `{}` auto-assigns,
        `{"agent": null}` unassigns."""
        ticket = self._ticket()
        serializer = AssignSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        actor = actor_for(request.user)
        if not actor.is_agent:
            raise PermissionDenied(_("Only agents can assign tickets."))
        data = serializer.validated_data
        if data["override"] and not is_supervisor(request.user):
            raise PermissionDenied(_("Only supervisors can assign past an agent's capacity."))
        if "agent" not in data:
            agent = ticket_auto_assign(ticket=ticket, actor=actor)
            if agent is None:
                return Response(
                    {"detail": _("No available agent for this category has free capacity and is working now.")},
                    status=status.HTTP_409_CONFLICT,
                )
        elif data["agent"] is None:
            ticket_assign(ticket=ticket, agent=None, actor=actor)
        else:
            agent = Agent.objects.filter(pk=data["agent"]).first()
            if agent is None:
                raise ValidationError({"agent": [_("No agent with id %(id)s.") % {"id": data["agent"]}]})
            ticket_assign(ticket=ticket, agent=agent, actor=actor, override=data["override"])
        return self._detail(ticket.pk)

    @extend_schema(request=None, responses={200: TicketDetailSerializer})
    @action(detail=True, methods=["post"], url_path="rotate-link")
    def rotate_link(self, request, pk=None):
        """Replace the ticket's private link: the links sent before answer 404, and the customer
        is emailed the new one. Agents only."""
        ticket = self._ticket()
        actor = actor_for(request.user)
        if not actor.is_agent:
            raise PermissionDenied(_("Only agents can replace a ticket's private link."))
        services.ticket_rotate_link(ticket=ticket, actor=actor)
        return self._detail(ticket.pk)

    @extend_schema(methods=["GET"], responses={200: CCSerializer(many=True)})
    @extend_schema(methods=["POST"], request=CCCreateSerializer, responses={201: CCSerializer, 200: CCSerializer})
    @action(detail=True, methods=["get", "post"], filter_backends=[], pagination_class=None)
    def cc(self, request, pk=None):
        """The addresses copied on the ticket; POST `{"email": ...}` copies one more (201; 200
        if it is copied already), emailing it its private link. At most 20; an invalid address,
        one of the customer's own, the helpdesk's or a 21st is refused (400 naming `email`, the
        body's field)."""
        ticket = self._ticket()
        if request.method == "GET":
            return Response(CCSerializer(ticket_ccs(ticket), many=True).data)
        serializer = CCCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        email = serializer.validated_data["email"]
        try:
            added = ticket_cc_add(ticket=ticket, emails=[email], actor=actor_for(request.user))
        except CCRefused as refused:  # named after this endpoint's field, not ticket creation's `cc` list
            raise ValidationError({"email": [str(refused)]}) from refused
        cc = added[0] if added else TicketCC.objects.get(ticket=ticket, email=email.strip().lower())
        return Response(CCSerializer(cc).data, status=status.HTTP_201_CREATED if added else status.HTTP_200_OK)

    @extend_schema(request=None, responses={204: None})
    @action(detail=True, methods=["delete"], url_path=r"cc/(?P<cc_id>[0-9]+)", url_name="cc-detail")
    def cc_remove(self, request, pk=None, cc_id=None):
        """Stop copying an address: its private link answers 404 from now on."""
        ticket = self._ticket()
        cc = get_object_or_404(TicketCC, ticket=ticket, pk=cc_id)
        ticket_cc_remove(ticket=ticket, cc=cc, actor=actor_for(request.user))
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=None, responses={200: FollowSerializer})
    @action(detail=True, methods=["get", "post", "delete"], filter_backends=[], pagination_class=None)
    def follow(self, request, pk=None):
        """GET: who follows the ticket; POST: follow it; DELETE: stop. Agents only: followers
        are told of its changes in-app (and by email if their profile says so)."""
        ticket = self._ticket()
        agent = agent_for(request.user)
        if request.method != "GET" and agent is None:
            raise PermissionDenied(_("Only agents can follow tickets."))
        if request.method == "POST":
            ticket_follow(ticket=ticket, agent=agent)
        elif request.method == "DELETE":
            ticket_unfollow(ticket=ticket, agent=agent)
        followers = followers_of(ticket)
        return Response(
            {
                "following": agent is not None and any(follower.pk == agent.pk for follower in followers),
                "followers": [{"id": follower.pk, "name": follower.name} for follower in followers],
            }
        )

    @extend_schema(methods=["GET"], responses={200: MessageSerializer(many=True)})
    @extend_schema(methods=["POST"], request=MessageCreateSerializer, responses={201: MessageSerializer, 409: CONFLICT})
    @action(detail=True, methods=["get", "post"], filter_backends=[])
    def messages(self, request, pk=None):
        """GET: the messages the caller may read, oldest first. POST: a reply (or, for agents, an internal note),
        a JSON body without files; files go with `POST
        /api/support/tickets/{id}/messages/with-attachments` (multipart/form-data)."""
        ticket = self._ticket()
        if request.method == "GET":
            page = self.paginate_queryset(selectors.visible_messages(request.user).filter(ticket=ticket))
            return self.get_paginated_response(MessageSerializer(page, many=True).data)
        return self._reply(ticket, MessageCreateSerializer(data=request.data))

    @extend_schema(
        operation_id="support_tickets_messages_with_attachments_create",
        request=MessageUploadSerializer,
        responses={201: MessageSerializer, 409: CONFLICT},
    )
    @action(
        detail=True,
        methods=["post"],
        url_path="messages/with-attachments",
        url_name="messages-with-attachments",
        parser_classes=[MultiPartParser],
        filter_backends=[],
        pagination_class=None,
    )
    def messages_with_attachments(self, request, pk=None):
        """Reply (or write an internal note) with files: the fields of `POST
        /api/support/tickets/{id}/messages` as a multipart/form-data body, plus one
        `attachments` part per file."""
        return self._reply(self._ticket(), MessageUploadSerializer(data=request.data))

    def _reply(self, ticket, serializer: MessageCreateSerializer) -> Response:
        serializer.is_valid(raise_exception=True)
        actor = actor_for(self.request.user)
        if serializer.validated_data["internal"] and not actor.is_agent:
            raise PermissionDenied(_("Only agents can write internal notes."))
        message = services.message_create(ticket=ticket, actor=actor, **serializer.validated_data)
        return Response(MessageSerializer(message).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=RatingSerializer, responses={200: MessageSerializer, 409: CONFLICT})
    @action(detail=True, methods=["post"], url_path=r"messages/(?P<message_id>[0-9]+)/rate")
    def rate(self, request, pk=None, message_id=None):
        ticket = self._ticket()
        if actor_for(request.user).is_agent:
            raise PermissionDenied(_("Replies are rated by the customer (through an integration or the portal)."))
        message = get_object_or_404(selectors.visible_messages(request.user), ticket=ticket, pk=message_id)
        serializer = RatingSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        message = services.message_rate(
            message=message,
            rating=serializer.validated_data["rating"],
            comment=serializer.validated_data["comment"],
            actor=actor_for(request.user),
        )
        return Response(MessageSerializer(selectors.visible_messages(request.user).get(pk=message.pk)).data)

    @extend_schema(responses={200: TicketEventSerializer(many=True)})
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=Pagination)
    def history(self, request, pk=None):
        page = self.paginate_queryset(selectors.ticket_history(self._ticket(), request.user))
        return self.get_paginated_response(TicketEventSerializer(page, many=True).data)

    @extend_schema(responses={(200, "application/octet-stream"): OpenApiResponse(description="The file")})
    @action(
        detail=True,
        methods=["get"],
        url_path=r"attachments/(?P<attachment_id>[0-9]+)",
        url_name="attachment",
        filter_backends=[],
    )
    def attachment(self, request, pk=None, attachment_id=None):
        ticket = self._ticket()
        attachment = Attachment.objects.filter(ticket=ticket, pk=attachment_id).select_related("message").first()
        if attachment is None or (
            attachment.message is not None
            and attachment.message.internal
            and not selectors.can_read_internal_notes(request.user)
        ):
            raise Http404(_("No such attachment."))
        return attachment_response(attachment)


class MessageFeedViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Messages of every ticket the caller may see, for incremental sync: pass `cursor=` (or
    `updated_after`) and follow `next`. Internal notes only for agents; a restricted team's
    tickets' messages only for those who may see its tickets (tickets.visibility)."""

    permission_classes = [WorksTickets]
    serializer_class = MessageFeedSerializer
    pagination_class = SyncPagination
    filter_backends = [DjangoFilterBackend]
    filterset_class = MessageFeedFilter

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no user, no database
            return Message.objects.none()
        return selectors.message_feed_for_user(self.request.user)


def attachment_response(attachment: Attachment) -> FileResponse:
    """The file as a download, never rendered inline (an uploaded page cannot run as ours),
    and never kept by a browser or a shared cache (a customer's file on a shared computer)."""
    try:
        handle = attachment.file.open("rb")
    except FileNotFoundError:  # the row outlived its file (a restore without media, say)
        raise Http404(_("The file of this attachment is missing.")) from None
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=attachment.name,
        content_type=attachment.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    add_never_cache_headers(response)
    return response


__all__ = ["Message", "MessageFeedViewSet", "TicketViewSet", "attachment_response"]
