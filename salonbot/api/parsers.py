"""The API's JSON parser, bounded in size and depth."""

from django.conf import settings
from rest_framework import exceptions, parsers

from salonbot.api.exceptions import RequestTooLarge


class JSONParser(parsers.JSONParser):
    """DRF's parser, with Django's body limit applied and deep nesting answered as a 400.

    DRF reads the body stream itself, so Django's DATA_UPLOAD_MAX_MEMORY_SIZE (enforced only by
    `request.body`) never applies to JSON: without this check any size would be read and parsed.
    """

    def parse(self, stream, media_type=None, parser_context=None):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        request = (parser_context or {}).get("request")
        if limit is not None and request is not None and _content_length(request) > limit:
            raise RequestTooLarge()
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError as exc:  # `[[[[…` a few thousand deep exhausts the json module's stack
            raise exceptions.ParseError("JSON parse error - nested too deeply.") from exc


def _content_length(request) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0
