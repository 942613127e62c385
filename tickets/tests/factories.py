from __future__ import annotations

import factory
from django.utils import timezone

from tickets.models import Attachment, AuthorType, Category, Message, Status, Tag, Ticket, TicketEvent


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Category
        django_get_or_create = ["slug"]

    slug = factory.Sequence(lambda n: f"category-{n}")
    name = factory.LazyAttribute(lambda c: c.slug.replace("-", " ").title())


class TagFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Tag
        django_get_or_create = ["name"]

    name = factory.Sequence(lambda n: f"tag-{n}")


class TicketFactory(factory.django.DjangoModelFactory):
    """A ticket written straight to the database (no events, no emails): for arranging tests."""

    class Meta:
        model = Ticket
        skip_postgeneration_save = True

    subject = factory.Faker("sentence", nb_words=5)
    description = factory.Faker("paragraph", nb_sentences=3)
    customer_email = factory.Sequence(lambda n: f"customer{n}@example.org")
    customer_name = factory.Faker("name")
    category = factory.SubFactory(CategoryFactory, slug="general", name="General")
    status = Status.NEW
    resolved_at = factory.LazyAttribute(
        lambda t: timezone.now() if t.status in (Status.RESOLVED, Status.CLOSED) else None
    )
    closed_at = factory.LazyAttribute(lambda t: timezone.now() if t.status == Status.CLOSED else None)

    @factory.post_generation
    def search_vector(self, create, extracted, **kwargs):
        """Index the ticket for search as the services would (PostgreSQL only)."""
        if create:
            from tickets.queries import refresh_search_vector

            refresh_search_vector([self.pk])


class MessageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Message

    ticket = factory.SubFactory(TicketFactory)
    author_type = AuthorType.AGENT
    author_name = factory.Faker("name")
    body = factory.Faker("paragraph")
    internal = False


class AttachmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Attachment

    ticket = factory.SubFactory(TicketFactory)
    message = None
    file = factory.django.FileField(filename="notes.txt", data=b"some notes")
    name = "notes.txt"
    size = 10
    content_type = "text/plain"


class TicketEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TicketEvent

    ticket = factory.SubFactory(TicketFactory)
    kind = TicketEvent.Kind.STATUS
    actor_type = "system"
    actor_name = "Helpdesk"
