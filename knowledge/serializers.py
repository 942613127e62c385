from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.api import SlugRelatedField
from knowledge.models import (
    ANSWER_MAX,
    ANSWER_MIN,
    CONTENT_MAX,
    CONTENT_MIN,
    FAQ,
    FAQ_PRIORITY_MAX,
    FAQ_PRIORITY_MIN,
    QUESTION_MAX,
    QUESTION_MIN,
    TITLE_MAX,
    TITLE_MIN,
    Article,
)
from knowledge.rendering import plain_text, render_markdown
from knowledge.search import snippet
from tickets.models import Category


class ArticleSerializer(serializers.ModelSerializer):
    title = serializers.CharField(min_length=TITLE_MIN, max_length=TITLE_MAX)
    content = serializers.CharField(min_length=CONTENT_MIN, max_length=CONTENT_MAX, trim_whitespace=False)
    slug = serializers.SlugField(max_length=255, allow_unicode=True, required=False)
    category = SlugRelatedField(slug_field="slug", queryset=Category.objects.all())
    tags = serializers.ListField(
        child=serializers.SlugField(max_length=50, allow_unicode=True), required=False, max_length=20
    )
    html = serializers.SerializerMethodField()
    url = serializers.SerializerMethodField()
    # A method, not `source="author.get_full_name"` with a default: DRF leaves a defaulted
    # field out of a partial update's answer, and the schema promises `author` in every one.
    author = serializers.SerializerMethodField()

    class Meta:
        model = Article
        fields = [
            "id",
            "title",
            "slug",
            "content",
            "html",
            "url",
            "category",
            "tags",
            "language",
            "status",
            "author",
            "published_at",
            "view_count",
            "helpful_yes",
            "helpful_no",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "published_at", "view_count", "helpful_yes", "helpful_no", "created_at", "updated_at"]

    def validate_slug(self, slug: str) -> str:
        clash = Article.objects.filter(slug=slug).exclude(pk=getattr(self.instance, "pk", None))
        if clash.exists():
            raise serializers.ValidationError(_("Another article has this slug."))
        return slug

    def get_html(self, article: Article) -> str:
        return str(render_markdown(article.content))

    def get_url(self, article: Article) -> str:
        return reverse("kb:article", args=[article.slug])

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_author(self, article: Article) -> str | None:
        return article.author.get_full_name() if article.author else None


class ArticleListSerializer(ArticleSerializer):
    """Lists carry a summary (or the search snippet) instead of the whole article."""

    summary = serializers.SerializerMethodField()
    rank = serializers.FloatField(source="search_rank", read_only=True, default=None, allow_null=True)

    class Meta(ArticleSerializer.Meta):
        fields = [f for f in ArticleSerializer.Meta.fields if f not in ("content", "html")] + ["summary", "rank"]

    @extend_schema_field(serializers.CharField(help_text="HTML: matched words in <mark> when searching"))
    def get_summary(self, article: Article) -> str:
        query = self.context.get("q")
        if query:
            return str(snippet(article, query))
        text = plain_text(article.content)
        return text[:200] + ("…" if len(text) > 200 else "")


class HelpfulSerializer(serializers.Serializer):
    helpful = serializers.BooleanField()


class FAQSerializer(serializers.ModelSerializer):
    question = serializers.CharField(min_length=QUESTION_MIN, max_length=QUESTION_MAX)
    answer = serializers.CharField(min_length=ANSWER_MIN, max_length=ANSWER_MAX)
    category = SlugRelatedField(slug_field="slug", queryset=Category.objects.all())
    priority = serializers.IntegerField(min_value=FAQ_PRIORITY_MIN, max_value=FAQ_PRIORITY_MAX, required=False)
    answer_html = serializers.SerializerMethodField()

    class Meta:
        model = FAQ
        fields = [
            "id",
            "question",
            "answer",
            "answer_html",
            "category",
            "priority",
            "published",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "created_at", "updated_at"]

    def get_answer_html(self, faq: FAQ) -> str:
        return str(render_markdown(faq.answer))
