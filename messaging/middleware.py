"""Meta's webhook deliveries, answered high in the middleware stack.

They are the busiest requests (every message, and about three statuses per message sent) and
need nothing the rest of the stack does: no session, CSRF, user, tenant scope, admin time zone or
DRF negotiation; the HMAC over the body is their authentication. Skipping it more than halves the
CPU a delivery costs (benchmarks/bench_webhook.py). Placed under ApiJsonErrorsMiddleware, so a
failure still answers JSON, and under the request log, so each delivery is logged and counted.
"""

from django.urls import resolve

from .views import receive_delivery

WEBHOOK_PATH = "/api/whatsapp/webhook"


class WebhookReceiptMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self.match = None

    def __call__(self, request):
        if request.method != "POST" or request.path_info.rstrip("/") != WEBHOOK_PATH:
            return self.get_response(request)
        if self.match is None:
            self.match = resolve(WEBHOOK_PATH)
        request.resolver_match = self.match  # the request log names the route
        return receive_delivery(request)
