"""The OpenAPI document's error answers: what every operation can answer besides success.

drf-spectacular documents the success of each operation; the refusals (DRF's 400, 401, 403,
404 and 415 for a body it cannot parse, the request size limit's 413, the rate limit's 429)
come from shared machinery every view goes through, so they are added here once, from what
the operation takes, instead of on every view. So are the headers of safe retries and
conditional updates (Idempotency-Key, If-Match, ETag) and their 422 and 412. Schemathesis
(helpdesk/tests/test_schemathesis.py) holds every answer to this document.
"""

from __future__ import annotations

import copy

from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers

from core.api import ConditionalUpdates


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField(help_text="What went wrong, in a sentence")


class ConflictSerializer(ErrorSerializer):
    """A change the object's current state does not allow (409)."""

    status = serializers.CharField(required=False, help_text="The ticket's current status (illegal status change)")
    allowed_statuses = serializers.ListField(
        child=serializers.CharField(), required=False, help_text="The statuses the ticket may move to"
    )


VALIDATION_ERROR = {
    "type": "object",
    "description": "Each invalid field (or `non_field_errors`, or `detail`) with its messages",
    "additionalProperties": {},
}

RETRY_AFTER = {"schema": {"type": "integer"}, "description": "Seconds until the limit lets the caller in again"}

# Safe retries (core.idempotency) and conditional updates (core.api.ConditionalUpdates).
IDEMPOTENCY_KEY = {
    "in": "header",
    "name": "Idempotency-Key",
    "required": False,
    "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[!-~]+$"},
    "description": (
        "A key the client chooses (1 to 255 printable ASCII characters, no spaces). The same key "
        "with the same request within 24 hours gets the first answer again instead of a second "
        "change; with another request, 422."
    ),
}
IDEMPOTENT_REPLAYED = {
    "schema": {"type": "string", "enum": ["true"]},
    "description": "Present when this is the stored answer to an earlier request with the same Idempotency-Key",
}
IF_MATCH = {
    "in": "header",
    "name": "If-Match",
    "required": False,
    "schema": {"type": "string"},
    "description": "The resource's ETag as last read: the change is made only if the resource is still so (else 412)",
}
ETAG = {
    "schema": {"type": "string"},
    "description": "The resource's current version (strong, quoted), for If-Match",
}


class AutoSchema(SpectacularAutoSchema):
    def _insert_field_validators(self, field, schema):
        super()._insert_field_validators(field, schema)
        # A slug in any alphabet (tags, article slugs) is validated by Python's Unicode `\w`;
        # copied into the document it would become ECMA's ASCII-only `\w` and call every
        # non-Latin slug the API returns invalid.
        if isinstance(field, serializers.SlugField) and field.allow_unicode:
            schema.pop("pattern", None)
            schema.setdefault("description", "Letters of any alphabet, digits, hyphens and underscores")

    def get_operation(self, path, path_regex, path_prefix, method, registry):
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is None:
            return None
        responses = operation["responses"]
        query_parameters = [p for p in operation.get("parameters", []) if p.get("in") == "query"]
        path_parameters = [p for p in operation.get("parameters", []) if p.get("in") == "path"]
        errors = {
            "401": (ErrorSerializer, "No credentials, or a token that is not valid"),
            "403": (ErrorSerializer, "The caller may not do this"),
            "429": (ErrorSerializer, "Too many requests from this caller; see Retry-After"),
        }
        if "requestBody" in operation or query_parameters:
            errors["400"] = (VALIDATION_ERROR, "Invalid input, naming the field")
        if "requestBody" in operation:
            errors["413"] = (ErrorSerializer, "The body is over the size limit (core.limits)")
            errors["415"] = (ErrorSerializer, "The body is not in a media type this operation reads")
        if path_parameters or any(p["name"] == "page" for p in query_parameters):
            errors["404"] = (ErrorSerializer, "No such object for this caller, or no such page")
        for code, (body, description) in errors.items():
            documented = responses.get(code)
            if documented is None or "content" not in documented:
                description = (documented or {}).get("description") or description
                responses[code] = self._get_response_for_code(OpenApiResponse(body, description), code)
        if "409" in responses and "content" not in responses["409"]:
            responses["409"] = self._get_response_for_code(
                OpenApiResponse(ConflictSerializer, responses["409"]["description"]), "409"
            )
        if "503" in responses and "content" not in responses["503"]:
            responses["503"] = self._get_response_for_code(
                OpenApiResponse(ErrorSerializer, responses["503"]["description"]), "503"
            )
        responses["429"].setdefault("headers", {})["Retry-After"] = RETRY_AFTER
        self._document_concurrency(path, method, operation, responses)
        operation["responses"] = dict(sorted(responses.items()))
        return operation

    def _document_concurrency(self, path: str, method: str, operation: dict, responses: dict) -> None:
        """Idempotency-Key (and its 400 and 422) on every API POST, which the middleware honours
        (core.idempotency); If-Match and 412 on PATCH and PUT, and ETag on their answers and
        on the detail GET, of viewsets with ConditionalUpdates."""
        successes = [code for code in responses if code.startswith("2")]
        if method == "POST" and path.startswith("/api/"):
            operation.setdefault("parameters", []).append(copy.deepcopy(IDEMPOTENCY_KEY))
            if "400" not in responses:  # a malformed key, even where there is no body to refuse
                responses["400"] = self._get_response_for_code(
                    OpenApiResponse(VALIDATION_ERROR, "Invalid input, naming the field or header"), "400"
                )
            responses["422"] = self._get_response_for_code(
                OpenApiResponse(ErrorSerializer, "The Idempotency-Key was used with another request"), "422"
            )
            for code in successes:
                responses[code].setdefault("headers", {})["Idempotent-Replayed"] = copy.deepcopy(IDEMPOTENT_REPLAYED)
        if not isinstance(self.view, ConditionalUpdates):
            return
        if method in ("PATCH", "PUT"):
            operation.setdefault("parameters", []).append(copy.deepcopy(IF_MATCH))
            responses["412"] = self._get_response_for_code(
                OpenApiResponse(ErrorSerializer, "If-Match does not match the resource's current ETag"), "412"
            )
        if method in ("PATCH", "PUT") or (method == "GET" and getattr(self.view, "action", None) == "retrieve"):
            for code in successes:
                responses[code].setdefault("headers", {})["ETag"] = copy.deepcopy(ETAG)


__all__ = ["AutoSchema", "ConflictSerializer", "ErrorSerializer"]
