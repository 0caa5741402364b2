"""The API's JSON renderer: every answer encodes, whatever the request sent."""

from rest_framework import renderers


class JSONRenderer(renderers.JSONRenderer):
    """DRF's renderer, escaping what UTF-8 cannot carry instead of failing with a 500.

    A validation message may quote the input back (`"\\ud800" is not a valid choice.`); a lone
    surrogate, legal as a JSON escape in the request, cannot be encoded as UTF-8. Such an answer
    is rendered with ASCII escapes, which any JSON client reads back as the same text.
    """

    def render(self, data, accepted_media_type=None, renderer_context=None):
        try:
            return super().render(data, accepted_media_type, renderer_context)
        except UnicodeEncodeError:
            self.ensure_ascii = True  # a renderer instance serves one response
            return super().render(data, accepted_media_type, renderer_context)
