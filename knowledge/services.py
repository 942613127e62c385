"""Writes to the knowledge base. Every change also retires the cached public answers."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.text import slugify

from knowledge.cache import invalidate_public_cache
from knowledge.models import FAQ, Article, ArticleStatus


def unique_slug(title: str, *, exclude_pk: int | None = None) -> str:
    base = slugify(title, allow_unicode=True)[:240] or "article"
    slug, number = base, 1
    while Article.objects.filter(slug=slug).exclude(pk=exclude_pk).exists():
        number += 1
        slug = f"{base}-{number}"
    return slug


def _stamp_publication(article: Article) -> None:
    if article.status == ArticleStatus.PUBLISHED and article.published_at is None:
        article.published_at = timezone.now()


@transaction.atomic
def article_create(*, tags: Iterable[str] = (), slug: str = "", **fields: Any) -> Article:
    article = Article(**fields)
    article.tags = list(tags)
    article.slug = slug or unique_slug(article.title)
    _stamp_publication(article)
    article.save()
    invalidate_public_cache()
    return article


@transaction.atomic
def article_update(*, article: Article, tags: Iterable[str] | None = None, **changes: Any) -> Article:
    for field, value in changes.items():
        setattr(article, field, value)
    if tags is not None:
        article.tags = list(tags)
    _stamp_publication(article)
    article.save()
    invalidate_public_cache()
    return article


@transaction.atomic
def article_delete(*, article: Article) -> None:
    article.delete()
    invalidate_public_cache()


def article_vote(*, article: Article, helpful: bool) -> None:
    field = "helpful_yes" if helpful else "helpful_no"
    Article.objects.filter(pk=article.pk).update(**{field: F(field) + 1})


def article_viewed(*, article: Article) -> None:
    # Counted without retiring the cache: view counts may lag in cached lists.
    Article.objects.filter(pk=article.pk).update(view_count=F("view_count") + 1)


@transaction.atomic
def faq_save(*, faq: FAQ) -> FAQ:
    faq.save()
    invalidate_public_cache()
    return faq


@transaction.atomic
def faq_delete(*, faq: FAQ) -> None:
    faq.delete()
    invalidate_public_cache()


def articles_rename_tag(*, old: str, new: str) -> int:
    """Articles tagged `old` are tagged `new` instead (once): a tag renamed or merged in
    tickets.tags, registered there by KnowledgeConfig.ready. Returns how many changed."""
    articles = list(Article.objects.select_for_update().filter(tags_text__contains=f",{old},"))
    for article in articles:
        article.tags = [new if name == old else name for name in article.tags]
        article.save(update_fields=["tags_text"])
    if articles:
        invalidate_public_cache()
    return len(articles)
