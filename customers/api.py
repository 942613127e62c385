"""REST API of customers: /api/support/customers and /api/support/organizations."""

from __future__ import annotations

import django_filters
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.response import Response

from agents.permissions import WorksTickets
from agents.roles import actor_for, is_agent, is_integration, is_supervisor
from core.api import BooleanFilter, ConditionalUpdates, IdFilter
from customers import selectors, services
from customers.models import Customer, Organization
from customers.serializers import (
    CustomerDetailSerializer,
    CustomerMergeSerializer,
    CustomerSerializer,
    CustomerUpdateSerializer,
    OrganizationDetailSerializer,
    OrganizationSerializer,
)
from customers.summaries import ticket_summary


def _refused(error: DjangoValidationError) -> serializers.ValidationError:
    """A service's refusal as the API's 400, naming the fields."""
    if hasattr(error, "error_dict"):
        return serializers.ValidationError(
            {field: [message for e in errors for message in e.messages] for field, errors in error.error_dict.items()}
        )
    return serializers.ValidationError({"detail": error.messages})


SEARCH = OpenApiParameter(
    "q", str, description="Text in the address, another address or the name (any case)", required=False
)


class CustomerFilter(django_filters.FilterSet):
    organization = IdFilter(field_name="organization_id")
    no_organization = BooleanFilter(field_name="organization", lookup_expr="isnull")
    bouncing = BooleanFilter()
    language = django_filters.ChoiceFilter(choices=[("", "unknown"), ("en", "en"), ("ru", "ru")])

    class Meta:
        model = Customer
        fields = []


@extend_schema_view(list=extend_schema(parameters=[SEARCH]))
class CustomerViewSet(ConditionalUpdates, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Customer profiles, one per person, made on their first contact: agents and integrations
    read and change them; agents merge two profiles of one person."""

    permission_classes = [WorksTickets]
    serializer_class = CustomerSerializer
    filterset_class = CustomerFilter
    ordering_fields = ["email", "name", "created_at", "updated_at"]
    ordering = ["email"]
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        customers = selectors.customers_list()
        if self.action == "list":
            customers = selectors.customers_search(customers, self.request.query_params.get("q", ""))
        return customers

    def _customer(self, pk) -> Customer:
        return get_object_or_404(selectors.customers_list(), pk=pk)

    def _detail(self, customer: Customer) -> Response:
        context = {"tickets": ticket_summary(user=self.request.user, customer=customer)}
        return Response(CustomerDetailSerializer(customer, context=context).data)

    @extend_schema(responses={200: CustomerDetailSerializer})
    def retrieve(self, request, *args, **kwargs):
        return self._detail(self._customer(_id(kwargs["pk"])))

    @extend_schema(request=CustomerUpdateSerializer, responses={200: CustomerDetailSerializer})
    def partial_update(self, request, pk=None):
        customer = self._customer(_id(pk))
        serializer = CustomerUpdateSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        try:
            services.customer_update(customer=customer, actor=actor_for(request.user), **serializer.validated_data)
        except DjangoValidationError as error:
            raise _refused(error) from error
        return self._detail(self._customer(customer.pk))

    @extend_schema(request=CustomerMergeSerializer, responses={200: CustomerDetailSerializer})
    @action(detail=True, methods=["post"])
    def merge(self, request, pk=None):
        """Merge this profile into the one `into` names (two profiles of one person): its tickets
        move there (each with a history event), its addresses become that profile's other
        addresses, its notes are appended, and it is deleted. Agents only; answers the merged
        profile."""
        if not is_agent(request.user):
            raise PermissionDenied(_("Only agents can merge customer profiles."))
        source = self._customer(_id(pk))
        serializer = CustomerMergeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        target = Customer.objects.filter(pk=serializer.validated_data["into"]).first()
        if target is None:
            raise serializers.ValidationError(
                {"into": [_("No customer with id %(id)s.") % {"id": serializer.validated_data["into"]}]}
            )
        try:
            merged = services.customer_merge(source=source, target=target, actor=actor_for(request.user))
        except DjangoValidationError as error:
            raise _refused(error) from error
        return self._detail(self._customer(merged.pk))


def _id(pk) -> int:
    """A path's id, or 404 past what an id can be."""
    try:
        value = int(pk)
    except (TypeError, ValueError):
        raise Http404 from None
    if not 0 < value <= 2**63 - 1:
        raise Http404
    return value


class SupervisorsWrite(BasePermission):
    message = _("Only supervisors and admins can change organisations.")

    def has_permission(self, request, view) -> bool:
        if request.method in SAFE_METHODS:
            return is_agent(request.user) or is_integration(request.user)
        return is_supervisor(request.user)


class OrganizationFilter(django_filters.FilterSet):
    vip = BooleanFilter()
    domain = django_filters.CharFilter(method="by_domain", help_text="Organisations with this email domain")

    class Meta:
        model = Organization
        fields = []

    def by_domain(self, queryset, name, value):
        return queryset.filter(domains__contains=[value.strip().lower().lstrip("@")])


@extend_schema_view(
    list=extend_schema(
        parameters=[OpenApiParameter("q", str, description="Text in the name or a domain", required=False)]
    )
)
class OrganizationViewSet(ConditionalUpdates, viewsets.ModelViewSet):
    """Organisations: everyone who works tickets reads them; supervisors and admins write."""

    permission_classes = [SupervisorsWrite]
    serializer_class = OrganizationSerializer
    filterset_class = OrganizationFilter
    ordering_fields = ["name", "created_at"]
    ordering = ["name"]
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self):
        organizations = selectors.organizations_list()
        if self.action == "list":
            organizations = selectors.organizations_search(organizations, self.request.query_params.get("q", ""))
        return organizations

    def _detail(self, organization: Organization, status_code=status.HTTP_200_OK) -> Response:
        organization = selectors.organizations_list().get(pk=organization.pk)
        context = {"tickets": ticket_summary(user=self.request.user, organization=organization)}
        return Response(OrganizationDetailSerializer(organization, context=context).data, status=status_code)

    @extend_schema(responses={200: OrganizationDetailSerializer})
    def retrieve(self, request, *args, **kwargs):
        return self._detail(get_object_or_404(Organization, pk=_id(kwargs["pk"])))

    def _save(self, request, organization: Organization | None, *, partial: bool) -> Organization:
        serializer = OrganizationSerializer(organization, data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        try:
            return services.organization_save(
                organization=organization, actor=actor_for(request.user), **serializer.validated_data
            )
        except DjangoValidationError as error:
            raise _refused(error) from error

    @extend_schema(responses={201: OrganizationDetailSerializer})
    def create(self, request, *args, **kwargs):
        return self._detail(self._save(request, None, partial=False), status.HTTP_201_CREATED)

    @extend_schema(responses={200: OrganizationDetailSerializer})
    def partial_update(self, request, *args, **kwargs):
        organization = get_object_or_404(Organization, pk=_id(kwargs["pk"]))
        return self._detail(self._save(request, organization, partial=True))

    def destroy(self, request, *args, **kwargs):
        organization = get_object_or_404(Organization, pk=_id(kwargs["pk"]))
        services.organization_delete(organization=organization, actor=actor_for(request.user))
        return Response(status=status.HTTP_204_NO_CONTENT)


__all__ = ["CustomerViewSet", "OrganizationViewSet"]
