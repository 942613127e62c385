"""REST API of the knowledge base: published content for everyone, everything for agents."""

from __future__ import annotations

import django_filters
from django.conf import settings
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from agents.roles import is_agent, is_supervisor
from core.api import ConditionalUpdates
from core.ratelimit import ratelimit
from knowledge import services
from knowledge.cache import cached_for_public
from knowledge.models import FAQ, Article, ArticleStatus, Language
from knowledge.search import SearchQuery, search_articles
from knowledge.serializers import ArticleListSerializer, ArticleSerializer, FAQSerializer, HelpfulSerializer
from knowledge.votes import record_vote


class ReadForAllWriteForSupervisors(permissions.BasePermission):
    """Reading is open (drafts to agents only, in the querysets); writing needs the role that
    edits the help center in Django admin: supervisor or admin."""

    message = gettext_lazy("Only supervisors and admins can change the help center.")

    def has_permission(self, request, view) -> bool:
        return request.method in permissions.SAFE_METHODS or is_supervisor(request.user)


class ArticleFilter(django_filters.FilterSet):
    category = django_filters.CharFilter(field_name="category__slug")
    tag = django_filters.CharFilter(method="filter_tag")
    language = django_filters.ChoiceFilter(choices=Language.choices)
    status = django_filters.ChoiceFilter(choices=ArticleStatus.choices)

    class Meta:
        model = Article
        fields = []

    def filter_tag(self, queryset, name, value):
        return queryset.filter(tags_text__contains=f",{value.strip().lower()},")


ORDERINGS = {"relevance": None, "-published_at": ("-published_at", "-id"), "-views": ("-view_count", "-id")}


class KnowledgeViewSet(ConditionalUpdates, viewsets.ModelViewSet):
    permission_classes = [ReadForAllWriteForSupervisors]
    http_method_names = ["get", "post", "patch", "put", "delete", "head", "options"]

    def is_staff_reader(self) -> bool:
        return is_agent(self.request.user)

    @cached_for_public(staff=True)  # agents search the knowledge base while they answer
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @cached_for_public
    def retrieve(self, request, *args, **kwargs):
        return super().retrieve(request, *args, **kwargs)


@extend_schema(
    parameters=[
        OpenApiParameter("q", str, description="Words to search for in title, tags and content"),
        OpenApiParameter("ordering", str, enum=list(ORDERINGS), description="Default: relevance with q, else newest"),
    ]
)
class ArticleViewSet(KnowledgeViewSet):
    """Articles. Non-agents see published ones only; agents may filter by `status`."""

    filterset_class = ArticleFilter
    filter_backends = [django_filters.rest_framework.DjangoFilterBackend]

    def get_queryset(self):
        articles = Article.objects.select_related("category", "author")
        if not self.is_staff_reader():
            articles = articles.filter(status=ArticleStatus.PUBLISHED)
        return articles

    def get_serializer_class(self):
        return ArticleListSerializer if self.action == "list" else ArticleSerializer

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "q": self.request.query_params.get("q", "").strip()}

    def filter_queryset(self, queryset):
        # get_queryset already narrowed the public to published articles: a `status` filter
        # from them can only narrow further.
        params = self.request.query_params
        articles = super().filter_queryset(queryset)
        query, ordering = params.get("q", ""), params.get("ordering", "")
        if "\x00" in query:
            raise ValidationError({"q": [_("Null characters are not allowed.")]})
        if ordering and ordering not in ORDERINGS:
            # Translators: "orderings" lists the API's ordering values, which stay as they are.
            raise ValidationError({"ordering": [_("Use one of: %(orderings)s.") % {"orderings": ", ".join(ORDERINGS)}]})
        if query.strip():
            articles = search_articles(articles, SearchQuery(query, params.get("language") or None))
        if ORDERINGS.get(ordering):
            articles = articles.order_by(*ORDERINGS[ordering])
        return articles

    def perform_create(self, serializer):
        serializer.instance = services.article_create(author=self.request.user, **serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = services.article_update(article=serializer.instance, **serializer.validated_data)

    def perform_destroy(self, instance):
        services.article_delete(article=instance)

    @extend_schema(
        request=HelpfulSerializer,
        responses={
            200: ArticleSerializer,
            409: OpenApiResponse(description="This visitor voted on the article already"),
        },
    )
    @method_decorator(ratelimit(key="ip", rate=lambda g, r: settings.KB_VOTE_RATE, block=True))
    @action(detail=True, methods=["post"], permission_classes=[permissions.AllowAny])
    def helpful(self, request, pk=None):
        """One "was this helpful" vote per visitor session; a second vote answers 409."""
        article = self.get_object()
        serializer = HelpfulSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        if not record_vote(request, article=article, helpful=serializer.validated_data["helpful"]):
            return Response({"detail": _("You already voted on this article.")}, status=status.HTTP_409_CONFLICT)
        article.refresh_from_db()
        return Response(ArticleSerializer(article, context=self.get_serializer_context()).data)


class FAQViewSet(KnowledgeViewSet):
    """FAQs by category and priority. Non-agents see published ones only."""

    serializer_class = FAQSerializer
    filterset_fields = ["published"]

    def get_queryset(self):
        faqs = FAQ.objects.select_related("category")
        if not self.is_staff_reader():
            faqs = faqs.filter(published=True)
        return faqs

    def perform_create(self, serializer):
        serializer.instance = services.faq_save(faq=FAQ(**serializer.validated_data))

    def perform_update(self, serializer):
        faq = serializer.instance
        for field, value in serializer.validated_data.items():
            setattr(faq, field, value)
        serializer.instance = services.faq_save(faq=faq)

    def perform_destroy(self, instance):
        services.faq_delete(faq=instance)
