"""A data-subject request through the API: POST /api/support/privacy/export and /erase with
{"email": ...}; admins only (superusers and agents with the admin role)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from agents.permissions import IsAdmin
from privacy.services import customer_erase, export_response


class IsPrivacyAdmin(IsAdmin):
    message = _("Only admins can export or erase a customer's data.")


class CustomerSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=254)


class ErasedSerializer(serializers.Serializer):
    erased = serializers.DictField(child=serializers.IntegerField(), help_text="rows changed or deleted, by kind")


class PrivacyExportView(APIView):
    permission_classes = [IsPrivacyAdmin]

    @extend_schema(
        request=CustomerSerializer,
        responses={200: OpenApiResponse(OpenApiTypes.BINARY, description="a zip: data.json, attachments/, emails/")},
    )
    def post(self, request):
        serializer = CustomerSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return export_response(serializer.validated_data["email"])


class PrivacyEraseView(APIView):
    permission_classes = [IsPrivacyAdmin]

    @extend_schema(request=CustomerSerializer, responses={200: ErasedSerializer})
    def post(self, request):
        serializer = CustomerSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return Response({"erased": customer_erase(serializer.validated_data["email"])})
