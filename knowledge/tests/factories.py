from __future__ import annotations

import factory
from django.utils import timezone

from knowledge.models import FAQ, Article
from tickets.tests.factories import CategoryFactory


class ArticleFactory(factory.django.DjangoModelFactory):
    """A published English article unless told otherwise."""

    class Meta:
        model = Article

    title = factory.Sequence(lambda n: f"How to do thing number {n}")
    slug = factory.Sequence(lambda n: f"article-{n}")
    content = factory.Faker("paragraph", nb_sentences=5)
    category = factory.SubFactory(CategoryFactory, slug="general", name="General")
    language = "en"
    status = "published"
    published_at = factory.LazyAttribute(lambda a: timezone.now() if a.status == "published" else None)


class FAQFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FAQ

    question = factory.Sequence(lambda n: f"Question number {n}?")
    answer = factory.Faker("sentence")
    category = factory.SubFactory(CategoryFactory, slug="general", name="General")
    priority = 50
    published = True
