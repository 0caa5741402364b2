"""The project's URLs plus two views the gateway tests need: a crash and a webhook-like view."""

import hashlib

from django.urls import path
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from salonbot.urls import urlpatterns as project_urlpatterns


class CrashView(APIView):
    permission_classes = [AllowAny]

    def get(self, request):
        raise RuntimeError("a bug, not bad input")


class WebhookLikeView(APIView):
    """Like the WhatsApp webhook: reads the raw body (for its signature) and opts out of limits."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes: list = []

    def post(self, request):
        return Response({"sha256": hashlib.sha256(request.body).hexdigest()})


urlpatterns = [
    path("api/test/crash", CrashView.as_view()),
    path("api/test/webhook", WebhookLikeView.as_view()),
    *project_urlpatterns,
]
