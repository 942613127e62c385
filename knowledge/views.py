"""Public knowledge-base pages: /kb/, /kb/<slug>, /faq/, and the suggestions partial."""

from __future__ import annotations

from itertools import groupby

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Case, Count, Q, When
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from core.ratelimit import ratelimit
from knowledge.models import FAQ, Article, ArticleStatus, Language
from knowledge.rendering import render_markdown
from knowledge.search import SearchQuery, candidate_limit, search_articles, snippet
from knowledge.services import article_viewed
from knowledge.votes import has_voted, record_vote
from tickets.languages import of_text
from tickets.models import Category

PAGE_SIZE = 10


def published():
    return Article.objects.filter(status=ArticleStatus.PUBLISHED).select_related("category")


def available_languages() -> set[str]:
    return set(published().order_by().values_list("language", flat=True).distinct())


@require_GET
def kb_index(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").replace("\x00", "").strip()[:200]
    category = Category.objects.filter(slug=request.GET.get("category", "")).first()
    language = request.GET.get("language", "")
    language = language if language in Language.values else ""
    articles = published()
    if category:
        articles = articles.filter(category=category)
    if language:
        articles = articles.filter(language=language)
    # The visitor's language first (the page's), the others after them, each marked.
    visitor = translation.get_language()
    articles = articles.annotate(other_language=Case(When(language=visitor, then=0), default=1))
    if query:
        results = search_articles(articles, SearchQuery(query)).order_by(
            "other_language", "-search_rank", "-published_at", "-id"
        )
    else:
        results = articles.order_by("other_language", "-published_at", "-id")
    page = Paginator(results, PAGE_SIZE).get_page(request.GET.get("page"))
    for article in page:
        article.snippet = snippet(article, query) if query else None
    # A search ranks at most candidate_limit() matches (knowledge.search): past it, the page
    # knows there are more, not how many.
    found = page.paginator.count
    more_than = candidate_limit() - 1 if query and found >= candidate_limit() else None
    context = {
        "query": query,
        "found": found,
        "more_than": more_than,
        "category": category,
        "unknown_category": bool(request.GET.get("category")) and category is None,
        "language": language,
        "languages": [(code, label) for code, label in Language.choices if code in available_languages()],
        "page": page,
        "categories": Category.objects.annotate(
            published=Count("articles", filter=Q(articles__status=ArticleStatus.PUBLISHED))
        ).filter(published__gt=0),
        "popular": articles.order_by("other_language", "-view_count", "-id")[:5] if not query else [],
        "visitor_language": visitor,
    }
    return render(request, "knowledge/kb_index.html", context)


@require_GET
def article_detail(request: HttpRequest, slug: str) -> HttpResponse:
    article = published().filter(slug=slug).select_related("author").first()
    if article is None:
        raise Http404(_("No published article at this address."))
    article_viewed(article=article)
    related = (
        published()
        .filter(category=article.category, language=article.language)
        .exclude(pk=article.pk)
        .order_by("-view_count", "-id")[:5]
    )
    context = {
        "article": article,
        "html": render_markdown(article.content),
        "related": related,
        "voted": has_voted(request, article),
    }
    return render(request, "knowledge/article.html", context)


@ratelimit(key="ip", rate=lambda group, request: settings.KB_VOTE_RATE, method="POST", block=True)
@require_POST
def article_helpful(request: HttpRequest, slug: str) -> HttpResponse:
    """The "was this helpful" buttons: a plain form POST, so they work without JavaScript."""
    article = published().filter(slug=slug).first()
    if article is None:
        raise Http404(_("No published article at this address."))
    answer = request.POST.get("helpful")
    if answer in ("yes", "no") and not record_vote(request, article=article, helpful=answer == "yes"):
        messages.info(request, _("You already told us about this article."))
    return redirect("kb:article", slug=article.slug)


@require_GET
def faq_list(request: HttpRequest) -> HttpResponse:
    faqs = FAQ.objects.filter(published=True).select_related("category").order_by("category__name", "-priority", "id")
    groups = [(category, list(items)) for category, items in groupby(faqs, key=lambda faq: faq.category)]
    visitor = translation.get_language()
    for _category, items in groups:
        for faq in items:
            faq.answer_html = render_markdown(faq.answer)
            # A question's language is its text's (tickets.languages); the visitor's come first.
            faq.language = of_text(faq.question, faq.answer) or settings.LANGUAGE_CODE
        items.sort(key=lambda faq: faq.language != visitor)  # stable: priority order within each
    return render(request, "knowledge/faq.html", {"groups": groups})


def suggestions_for(text: str, *, limit: int = 5) -> list[Article]:
    text = text.replace("\x00", "").strip()[:200]
    if len(text) < 3:
        return []
    return list(search_articles(published(), SearchQuery(text, match_any=True))[:limit])


@require_GET
def suggest(request: HttpRequest) -> HttpResponse:
    """Articles matching what the customer is typing as a ticket subject (htmx partial)."""
    text = request.GET.get("subject", request.GET.get("q", ""))
    return render(request, "knowledge/_suggestions.html", {"suggestions": suggestions_for(text)})
