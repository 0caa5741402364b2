"""One exception handler for the API: field errors as 400, domain errors as {detail, code}."""

import logging

from django.core.exceptions import PermissionDenied, RequestDataTooBig, SuspiciousOperation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from salonbot import outages
from salonbot.errors import DomainError

logger = logging.getLogger(__name__)


class RequestTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = _("The request body is larger than the server accepts.")
    default_code = "request_too_large"


def exception_handler(exc, context):
    if isinstance(exc, DomainError):
        return Response(exc.as_dict(), status=exc.status)
    if outages.is_outage(exc):
        return outages.api_response(exc)
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages})
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, RequestDataTooBig):
        # A view that read `request.body` itself (a webhook's signature check) hits Django's limit.
        exc = RequestTooLarge()
    elif isinstance(exc, SuspiciousOperation):
        # Django would answer these with its HTML 400 page; the API answers JSON.
        logger.warning("suspicious request: %s", exc)
        exc = exceptions.ParseError(_("Bad request."), code="bad_request")

    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        if isinstance(response.data, list):
            response.data = {"non_field_errors": response.data}
        return response
    if isinstance(exc, exceptions.Throttled):
        response.data = {"detail": str(exc.detail), "code": "throttled"}
        return response
    if isinstance(exc, exceptions.APIException) and isinstance(response.data, dict):
        detail = response.data.get("detail", exc.detail)
        code = getattr(detail, "code", None) or exc.default_code
        response.data = {"detail": str(detail), "code": code}
    return response


def error_response(detail: str, code: str, status_code: int = status.HTTP_400_BAD_REQUEST):
    return Response({"detail": detail, "code": code}, status=status_code)
