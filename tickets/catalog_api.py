"""REST API of categories and tags: /api/support/categories and /api/support/tags.

As in Django admin (the supervisors group's permissions, agents/migrations/0004), everyone
who works tickets reads them and supervisors and admins change them.

    GET/POST            /api/support/categories          ?q= &team= &no_team= &ordering=
    GET/PATCH/PUT/DELETE /api/support/categories/{id}    409 while tickets, articles, FAQs or SLA policies name it
    GET/POST            /api/support/tags                ?q= &ordering=
    GET/PATCH/PUT/DELETE /api/support/tags/{id}          a new name renames (tickets.tags)
    POST                /api/support/tags/{id}/merge     {"into": id}
"""

from __future__ import annotations

import django_filters
from django.db.models import Q
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from agents.permissions import SettingsReadSupervisorsWrite
from agents.roles import actor_for
from core.api import BooleanFilter, ConditionalUpdates, IdFilter
from tickets.catalog_serializers import (
    CategoryInUseSerializer,
    CategorySerializer,
    TagMergeResultSerializer,
    TagMergeSerializer,
    TagSerializer,
)
from tickets.categories import category_delete
from tickets.models import Category, Tag
from tickets.tags import TagRefused, tag_create, tag_merge, tag_rename

BUSY = OpenApiResponse(description="Some of the tag's tickets were being changed; nothing was merged: try again")


class CategoryFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", max_length=100, help_text="Text in the name, slug or description")
    team = IdFilter(field_name="team_id", help_text="Routed to team")
    no_team = BooleanFilter(field_name="team", lookup_expr="isnull", help_text="true: routed to no team")

    class Meta:
        model = Category
        fields = []

    def search(self, categories, name, value: str):
        value = value.strip()
        if not value:
            return categories
        return categories.filter(Q(name__icontains=value) | Q(slug__icontains=value) | Q(description__icontains=value))


@extend_schema_view(
    destroy=extend_schema(
        responses={
            204: None,
            409: OpenApiResponse(
                CategoryInUseSerializer,
                description="Tickets, articles, FAQs or SLA policies still name the category (listed in used_by)",
            ),
        }
    )
)
class CategoryViewSet(ConditionalUpdates, viewsets.ModelViewSet):
    """Ticket categories: everyone who works tickets reads them; supervisors and admins write."""

    permission_classes = [SettingsReadSupervisorsWrite]
    serializer_class = CategorySerializer
    queryset = Category.objects.all()
    filterset_class = CategoryFilter
    ordering_fields = ["name", "slug", "id"]
    ordering = ["name"]
    http_method_names = ["get", "post", "patch", "put", "delete", "head", "options"]

    def perform_destroy(self, instance: Category) -> None:
        category_delete(category=instance)


class TagFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        field_name="name", lookup_expr="icontains", max_length=50, help_text="Text in the name"
    )

    class Meta:
        model = Tag
        fields = []


@extend_schema_view(
    destroy=extend_schema(
        description="Delete the tag: its tickets lose it (no history line). Saved views and rules naming it keep "
        "its name, and a rule adding it makes it again.",
        responses={204: None},
    ),
    partial_update=extend_schema(description="A new `name` renames the tag everywhere (see the name's description)."),
    update=extend_schema(description="A new `name` renames the tag everywhere (see the name's description)."),
)
class TagViewSet(ConditionalUpdates, viewsets.ModelViewSet):
    """Ticket tags: everyone who works tickets reads them; supervisors and admins create,
    rename, merge and delete them (tickets.tags says what follows a rename or a merge)."""

    permission_classes = [SettingsReadSupervisorsWrite]
    serializer_class = TagSerializer
    queryset = Tag.objects.all()
    filterset_class = TagFilter
    ordering_fields = ["name", "id"]
    ordering = ["name"]
    http_method_names = ["get", "post", "patch", "put", "delete", "head", "options"]

    def perform_create(self, serializer) -> None:
        serializer.instance = tag_create(name=serializer.validated_data["name"])

    def perform_update(self, serializer) -> None:
        if "name" in serializer.validated_data:
            tag_rename(tag=serializer.instance, name=serializer.validated_data["name"])

    @extend_schema(
        request=TagMergeSerializer,
        responses={
            200: TagMergeResultSerializer,
            400: OpenApiResponse(description="`into` names no tag, or this tag itself"),
            409: BUSY,
        },
        description="Merge this tag into `into`: every ticket tagged with this one is tagged `into` instead (once), "
        "with a line in its history and a new `updated_at`; saved views, knowledge-base articles and "
        "automation rules naming this tag name `into`; this tag is deleted. Triggers do not run.",
    )
    @action(detail=True, methods=["post"])
    def merge(self, request, pk=None):
        source = self.get_object()
        serializer = TagMergeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        target = serializer.validated_data["into"]
        try:
            change = tag_merge(source=source, target=target, actor=actor_for(request.user))
        except TagRefused as error:
            raise ValidationError({"into": [str(error)]}) from error
        target.refresh_from_db()
        result = {"tag": target, "tickets": change.tickets, "references": change.references}
        return Response(TagMergeResultSerializer(result).data, status=status.HTTP_200_OK)
