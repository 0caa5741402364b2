"""Under /api/ every error is JSON, including the ones Django answers before DRF is reached."""

from http import HTTPStatus

from django.http import JsonResponse

API_PREFIX = "/api/"

# Stable codes for the statuses Django itself produces (unknown path, bad Host, CSRF, crash).
CODES = {
    400: "bad_request",
    403: "permission_denied",
    404: "not_found",
    405: "method_not_allowed",
    413: "request_too_large",
    500: "server_error",
}
# Headers of the original answer a client still needs (Allow on a 405, Retry-After on a 429/503).
KEPT_HEADERS = ("Allow", "Retry-After", "WWW-Authenticate", "Vary")


class ApiJsonErrorsMiddleware:
    """Replaces a non-JSON error answer under /api/ by `{"detail", "code"}` with the same status.

    Django's 404 for an unknown path, its 400 for a bad Host header or an oversized form, the
    handler500 page (and DEBUG's technical pages) are HTML: a client app cannot parse them.
    A middleware rather than handler404/handler500 because in DEBUG those handlers are bypassed.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.status_code < 400 or not request.path_info.startswith(API_PREFIX) or _is_json(response):
            return response
        return json_error(response.status_code, original=response)


def json_error(status_code: int, *, original=None) -> JsonResponse:
    try:
        phrase = HTTPStatus(status_code).phrase
    except ValueError:
        phrase = "Error"
    code = CODES.get(status_code, "server_error" if status_code >= 500 else "error")
    response = JsonResponse({"detail": f"{phrase}.", "code": code}, status=status_code)
    if original is not None:
        for name in KEPT_HEADERS:
            if name in original:
                response[name] = original[name]
    return response


def _is_json(response) -> bool:
    content_type = response.get("Content-Type", "")
    return content_type.startswith("application/json") or "+json" in content_type.split(";")[0]
