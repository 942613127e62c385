"""Knowledge-base articles and FAQs."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxLengthValidator, MaxValueValidator, MinLengthValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from tickets.models import length_between

TITLE_MIN, TITLE_MAX = 5, 255
CONTENT_MIN, CONTENT_MAX = 20, 50000
QUESTION_MIN, QUESTION_MAX = 5, 500
ANSWER_MIN, ANSWER_MAX = 1, 10000
FAQ_PRIORITY_MIN, FAQ_PRIORITY_MAX = 1, 100


class Language(models.TextChoices):
    # Each language by its own name, as a visitor looks for it; only "Other" is translated.
    ENGLISH = "en", "English"
    RUSSIAN = "ru", "Русский"
    GERMAN = "de", "Deutsch"
    FRENCH = "fr", "Français"
    SPANISH = "es", "Español"
    OTHER = "other", pgettext_lazy("language of an article", "Other")


# The PostgreSQL text-search configuration of each language (stemming, stop words); the
# search vector column and the queries both use it (knowledge.search, migration 0002).
SEARCH_CONFIGS = {
    Language.ENGLISH: "english",
    Language.RUSSIAN: "russian",
    Language.GERMAN: "german",
    Language.FRENCH: "french",
    Language.SPANISH: "spanish",
    Language.OTHER: "simple",
}


class ArticleStatus(models.TextChoices):
    DRAFT = "draft", pgettext_lazy("article status", "Draft")
    PUBLISHED = "published", pgettext_lazy("article status", "Published")
    ARCHIVED = "archived", pgettext_lazy("article status", "Archived")


class Article(models.Model):
    Status = ArticleStatus

    title = models.CharField(_("title"), max_length=TITLE_MAX, validators=[MinLengthValidator(TITLE_MIN)])
    slug = models.SlugField(_("slug"), max_length=255, unique=True, allow_unicode=True)
    content = models.TextField(
        _("content"),
        help_text=_("Markdown"),
        validators=[MinLengthValidator(CONTENT_MIN), MaxLengthValidator(CONTENT_MAX)],
    )
    category = models.ForeignKey(
        "tickets.Category", on_delete=models.PROTECT, related_name="articles", verbose_name=_("category")
    )
    # Tags as ",tag1,tag2," so that one row holds them (the search vector is computed from
    # the row) and `tags__contains=",tag,"` is an exact tag match on every database.
    tags_text = models.CharField(max_length=1000, blank=True, editable=False)
    language = models.CharField(_("language"), max_length=8, choices=Language.choices, default=Language.ENGLISH)
    status = models.CharField(_("status"), max_length=10, choices=ArticleStatus.choices, default=ArticleStatus.DRAFT)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="articles",
        verbose_name=_("author"),
    )
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    view_count = models.PositiveIntegerField(_("view count"), default=0)
    # Translators: admin column: how many visitors found the article helpful ("yes" votes).
    helpful_yes = models.PositiveIntegerField(_("helpful yes"), default=0)
    # Translators: admin column: how many visitors found the article not helpful ("no" votes).
    helpful_no = models.PositiveIntegerField(_("helpful no"), default=0)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["-published_at", "-id"]
        verbose_name = _("article")
        verbose_name_plural = _("articles")
        constraints = [
            *length_between("title", TITLE_MIN, TITLE_MAX, "article_title"),
            *length_between("content", CONTENT_MIN, CONTENT_MAX, "article_content"),
            models.CheckConstraint(condition=~Q(slug=""), name="article_slug_not_empty"),
            models.CheckConstraint(condition=Q(status__in=ArticleStatus.values), name="article_status_valid"),
            models.CheckConstraint(condition=Q(language__in=Language.values), name="article_language_valid"),
            models.CheckConstraint(
                condition=~Q(status=ArticleStatus.PUBLISHED) | Q(published_at__isnull=False),
                name="article_published_has_date",
            ),
        ]
        indexes = [
            # The public list: published articles, newest first, optionally by category.
            models.Index(fields=["status", "-published_at"], name="article_status_published_idx"),
            models.Index(fields=["category", "status"], name="article_category_status_idx"),
            # "Popular articles" on /kb/.
            models.Index(fields=["-view_count"], name="article_views_idx", condition=Q(status="published")),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def tags(self) -> list[str]:
        return [tag for tag in self.tags_text.split(",") if tag]

    @tags.setter
    def tags(self, names: list[str]) -> None:
        cleaned = sorted({name.strip().lower() for name in names if name and name.strip()})
        self.tags_text = f",{','.join(cleaned)}," if cleaned else ""

    @property
    def is_public(self) -> bool:
        return self.status == ArticleStatus.PUBLISHED


class FAQ(models.Model):
    question = models.CharField(_("question"), max_length=QUESTION_MAX, validators=[MinLengthValidator(QUESTION_MIN)])
    answer = models.TextField(
        _("answer"),
        help_text=_("Markdown"),
        validators=[MinLengthValidator(ANSWER_MIN), MaxLengthValidator(ANSWER_MAX)],
    )
    category = models.ForeignKey(
        "tickets.Category", on_delete=models.PROTECT, related_name="faqs", verbose_name=_("category")
    )
    priority = models.PositiveSmallIntegerField(
        _("priority"),
        default=50,
        validators=[MinValueValidator(FAQ_PRIORITY_MIN), MaxValueValidator(FAQ_PRIORITY_MAX)],
        help_text=_("1-100; higher comes first within its category"),
    )
    published = models.BooleanField(_("published"), default=False)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["category__name", "-priority", "id"]
        verbose_name = _("FAQ")
        verbose_name_plural = _("FAQs")
        constraints = [
            *length_between("question", QUESTION_MIN, QUESTION_MAX, "faq_question"),
            *length_between("answer", ANSWER_MIN, ANSWER_MAX, "faq_answer"),
            models.CheckConstraint(
                condition=Q(priority__gte=FAQ_PRIORITY_MIN, priority__lte=FAQ_PRIORITY_MAX), name="faq_priority_1_100"
            ),
        ]

    def __str__(self) -> str:
        return self.question
