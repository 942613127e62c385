"""A data-subject request through the API: POST /api/support/privacy/export and /erase with
{"email": ...}; admins only (superusers and agents with the admin role)."""

from __future__ import annotations

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from agents.roles import agent_for
from privacy.services import customer_erase, customer_export


class IsAdmin(BasePermission):
    message = "Only admins can export or erase a customer's data."

    def has_permission(self, request, view) -> bool:
        user = request.user
        if getattr(user, "is_superuser", False) and user.is_active:
            return True
        agent = agent_for(user)
        return agent is not None and agent.role == "admin"


class CustomerSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=254)


class ErasedSerializer(serializers.Serializer):
    erased = serializers.DictField(child=serializers.IntegerField(), help_text="rows changed or deleted, by kind")


class PrivacyExportView(APIView):
    permission_classes = [IsAdmin]

    @extend_schema(
        request=CustomerSerializer,
        responses={200: OpenApiResponse(OpenApiTypes.BINARY, description="a zip: data.json, attachments/, emails/")},
    )
    def post(self, request):
        serializer = CustomerSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        email = serializer.validated_data["email"].lower()
        response = HttpResponse(customer_export(email), content_type="application/zip")
        response["Content-Disposition"] = 'attachment; filename="customer-data.zip"'
        response["Cache-Control"] = "no-store"
        return response


class PrivacyEraseView(APIView):
    permission_classes = [IsAdmin]

    @extend_schema(request=CustomerSerializer, responses={200: ErasedSerializer})
    def post(self, request):
        serializer = CustomerSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return Response({"erased": customer_erase(serializer.validated_data["email"])})
