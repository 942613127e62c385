"""Serializers of /api/support/categories and /api/support/tags (tickets.catalog_api)."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext as _
from rest_framework import serializers

from agents.models import Team
from tickets.models import Category, Tag
from tickets.tags import clean_tag_name

TAG_NAME_MAX = Tag._meta.get_field("name").max_length


class CategorySerializer(serializers.ModelSerializer):
    team = serializers.PrimaryKeyRelatedField(
        queryset=Team.objects.all(),
        allow_null=True,
        required=False,
        help_text="New tickets of this category go to this team's queue; null: no team",
    )

    class Meta:
        model = Category
        fields = ["id", "slug", "name", "description", "team"]
        read_only_fields = ["id"]
        extra_kwargs = {
            "slug": {
                "help_text": "Letters, digits, - and _; how tickets, automation rules and saved views name the "
                "category. Rules naming an old slug no longer match after a change."
            },
        }

    def validate_name(self, value: str) -> str:
        value = value.strip()
        if not value:
            raise serializers.ValidationError(_("Enter a name."))
        return value


class TagSerializer(serializers.ModelSerializer):
    name = serializers.CharField(
        max_length=TAG_NAME_MAX,
        help_text="One word of letters, digits, - and _, stored in lower case. Changing it renames the tag "
        "everywhere: tickets keep it, and saved views, articles and automation rules naming the old name "
        "name the new one.",
    )

    class Meta:
        model = Tag
        fields = ["id", "name"]
        read_only_fields = ["id"]

    def validate_name(self, value: str) -> str:
        try:
            name = clean_tag_name(value)
        except DjangoValidationError as refused:
            raise serializers.ValidationError(refused.messages) from None
        taken = Tag.objects.filter(name=name)
        if self.instance is not None:
            taken = taken.exclude(pk=self.instance.pk)
        if taken.exists():
            raise serializers.ValidationError(
                _("A tag named “%(name)s” exists already; merge into it instead.") % {"name": name}
            )
        return name


class TagMergeSerializer(serializers.Serializer):
    into = serializers.PrimaryKeyRelatedField(
        queryset=Tag.objects.all(), help_text="The tag that goes on: it gets this tag's tickets"
    )


class TagMergeResultSerializer(serializers.Serializer):
    tag = TagSerializer(help_text="The tag merged into")
    tickets = serializers.IntegerField(help_text="Tickets that had the merged tag and now have this one")
    references = serializers.IntegerField(
        help_text="Saved views, knowledge-base articles and automation conditions and actions now naming this tag"
    )


class CategoryInUseSerializer(serializers.Serializer):
    detail = serializers.CharField()
    used_by = serializers.ListField(child=serializers.CharField(), help_text="What still names the category")
