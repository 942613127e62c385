"""One "was this helpful" vote per visitor session, for the page and the API alike."""

from __future__ import annotations

from django.http import HttpRequest

from knowledge.models import Article
from knowledge.services import article_vote

SESSION_KEY = "kb_votes"


def has_voted(request: HttpRequest, article: Article) -> bool:
    return article.pk in request.session.get(SESSION_KEY, [])


def record_vote(request: HttpRequest, *, article: Article, helpful: bool) -> bool:
    """Count the vote unless this session voted on the article before; True if counted."""
    if has_voted(request, article):
        return False
    article_vote(article=article, helpful=helpful)
    request.session[SESSION_KEY] = [*request.session.get(SESSION_KEY, []), article.pk][-500:]
    return True
