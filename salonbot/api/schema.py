"""OpenAPI generation: the error answers of API.md's Conventions on every operation, paths as written."""

from drf_spectacular import openapi
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers

BODY_METHODS = ("POST", "PUT", "PATCH")


class ErrorSerializer(serializers.Serializer):
    """`{"detail", "code"}`: every error that is not a field error (API.md, Errors)."""

    detail = serializers.CharField()
    code = serializers.CharField()

    class Meta:
        ref_name = "Error"


VALIDATION_ERROR = {
    "type": "object",
    "description": 'Field errors `{"field": ["message"]}` (or `{"detail", "code"}` for a malformed body).',
    "additionalProperties": {},
}
RETRY_AFTER = {
    "Retry-After": {"description": "Seconds until the rate limit admits requests again.", "schema": {"type": "integer"}}
}


class AutoSchema(openapi.AutoSchema):
    """drf-spectacular's schema plus the shared error answers, so clients see their shapes.

    An app's own `@extend_schema(responses=...)` for a status (409 `booking_conflict`, ...) wins.
    """

    def _get_parameters(self):
        # get_operation computes the parameters before the responses; keep them for _shared_errors.
        self._operation_parameters = super()._get_parameters()
        return self._operation_parameters

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        for code, description in self._shared_errors():
            if code not in responses:
                body = VALIDATION_ERROR if code == "400" else ErrorSerializer
                responses[code] = self._get_response_for_code(
                    OpenApiResponse(response=body, description=description), code, direction=direction
                )
        if "429" in responses:
            responses["429"].setdefault("headers", {}).update(RETRY_AFTER)
        return responses

    def _shared_errors(self):
        requires_auth = bool(self.get_auth()) and {} not in self.get_auth()
        has_body = self.method in BODY_METHODS
        has_query = any(p.get("in") == "query" for p in getattr(self, "_operation_parameters", []))
        if has_body or has_query:
            yield "400", "Invalid input: field errors, a malformed body, or an unknown filter value."
        if requires_auth:
            yield "401", "No token, or an invalid or expired one."
            yield "403", "The role or the salon's plan does not allow this."
        if "{" in self.path:
            yield "404", "Not found, including another tenant's object."
        if has_body:
            yield "413", "The body is larger than the server accepts."
        if self.view.get_throttles():
            yield "429", "Rate-limited; retry after `Retry-After` seconds."


def drop_optional_trailing_slash(endpoints, **kwargs):
    """API.md writes paths without the trailing slash that our routes accept as optional (`/?`)."""
    result = []
    for path, path_regex, method, callback in endpoints:
        if path.endswith("/") and path_regex.rstrip("$").endswith("/?"):
            path = path[:-1]
        result.append((path, path_regex, method, callback))
    return result
