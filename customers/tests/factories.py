from __future__ import annotations

import factory

from customers.models import Customer, Organization


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization

    name = factory.Sequence(lambda n: f"Organisation {n}")
    domains = factory.Sequence(lambda n: [f"org{n}.example"])


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    email = factory.Sequence(lambda n: f"person{n}@example.org")
    name = factory.Faker("name")
