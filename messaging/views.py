"""Messaging API: the WhatsApp webhook, conversations and their messages, templates."""

import hmac
import logging

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpResponse, JsonResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from salonbot import metrics
from salonbot.api.viewsets import ReplicaListMixin, TenantModelViewSet, TenantScopedMixin
from salonbot.scope import platform_scope

from . import selectors, serializers
from .filters import ConversationFilter, TemplateFilter
from .services import conversations, outbound, webhooks
from .whatsapp.signature import verify_signature

SIGNATURE_HEADER = "X-Hub-Signature-256"

logger = logging.getLogger(__name__)


class WhatsAppWebhookView(APIView):
    """Meta's webhook: the verification handshake (GET) and signed event deliveries (POST).

    No JWT and no per-user rate limit: Meta is one client speaking for every salon, and the
    HMAC signature over the raw body is what authenticates it.
    """

    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = []

    @extend_schema(
        parameters=[
            OpenApiParameter("hub.mode", str, required=True, description="Always `subscribe`."),
            OpenApiParameter("hub.verify_token", str, required=True),
            OpenApiParameter("hub.challenge", str, required=True),
        ],
        responses={
            (200, "text/plain"): OpenApiResponse(OpenApiTypes.STR, description="The challenge, echoed."),
            403: OpenApiResponse(description="Wrong mode or verify token."),
        },
        auth=[],
    )
    def get(self, request):
        params = request.query_params
        expected = settings.WHATSAPP_VERIFY_TOKEN
        token = params.get("hub.verify_token", "")
        if params.get("hub.mode") == "subscribe" and expected and _same(token, expected):
            return HttpResponse(params.get("hub.challenge", ""), content_type="text/plain; charset=utf-8")
        return Response({"detail": "Verification failed.", "code": "permission_denied"}, status=403)

    @extend_schema(
        request={"application/json": OpenApiTypes.OBJECT},
        parameters=[OpenApiParameter(SIGNATURE_HEADER, str, OpenApiParameter.HEADER, required=True)],
        responses={
            200: OpenApiResponse(description="Stored; processed in the background."),
            400: OpenApiResponse(description="invalid_body: a NUL byte, or JSON nested too deeply; nothing stored."),
            403: OpenApiResponse(description="Missing or wrong signature; nothing stored."),
        },
        auth=[],
    )
    def post(self, request):
        # Normally answered by WebhookReceiptMiddleware before reaching here; the same function.
        return receive_delivery(request)


def receive_delivery(request) -> HttpResponse:
    """A signed POST from Meta: verify, store, publish, answer. Shared by the view and the middleware."""
    try:
        # The raw bytes, before any parser runs: Meta signs exactly these.
        raw_body = request.body
    except RequestDataTooBig:
        return JsonResponse(
            {"detail": "The body is larger than the server accepts.", "code": "request_too_large"}, status=413
        )
    secret = settings.WHATSAPP_APP_SECRET
    if not verify_signature(raw_body, request.headers.get(SIGNATURE_HEADER), secret):
        metrics.WEBHOOK_EVENTS_RECEIVED.labels("refused").inc()
        if not secret:
            logger.error("WHATSAPP_APP_SECRET is not set: every webhook delivery is refused with 403")
        return JsonResponse({"detail": "Invalid signature.", "code": "invalid_signature"}, status=403)
    try:
        with platform_scope():  # Meta speaks for every salon; the event is routed to one later
            webhooks.receive_webhook(raw_body=raw_body)
    except webhooks.UnstorableBody as exc:
        metrics.WEBHOOK_EVENTS_RECEIVED.labels("refused").inc()
        logger.warning("signed WhatsApp webhook refused, nothing stored: %s", exc.detail)
        return JsonResponse(exc.as_dict(), status=exc.status)
    metrics.WEBHOOK_EVENTS_RECEIVED.labels("accepted").inc()
    # 200 even for a signed body that is not JSON (stored with its error): any other answer
    # only makes Meta re-send the same bytes for seven days.
    return HttpResponse(status=status.HTTP_200_OK)


def _same(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode(), expected.encode())


class ConversationViewSet(
    TenantScopedMixin, ReplicaListMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    queryset = selectors.conversations_with_customer()
    serializer_class = serializers.ConversationSerializer
    filterset_class = ConversationFilter
    ordering_fields: list[str] = []  # fixed order: most recent activity first

    @extend_schema(responses={200: serializers.MessageSerializer(many=True)})
    @action(detail=True, methods=["get"], filterset_class=None, filter_backends=[])
    def messages(self, request, pk=None):
        page = self.paginate_queryset(selectors.messages_of(self.get_object()))
        return self.get_paginated_response(serializers.MessageSerializer(page, many=True).data)

    @extend_schema(
        request=serializers.MessageCreateSerializer,
        responses={
            201: serializers.MessageSerializer,
            403: OpenApiResponse(description="usage_limit_exceeded / salon_inactive"),
            409: OpenApiResponse(description="outside_customer_service_window"),
        },
    )
    @messages.mapping.post
    def send(self, request, pk=None):
        conversation = self.get_object()
        context = {**self.get_serializer_context(), "conversation": conversation}
        data = serializers.MessageCreateSerializer(data=request.data, context=context)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        if "text" in values:
            message = outbound.queue_text(conversation=conversation, text=values["text"], actor=request.user)
        else:
            message = outbound.queue_template(
                conversation=conversation,
                template=values["template_id"],
                parameters=values["parameters"],
                actor=request.user,
            )
        return Response(serializers.MessageSerializer(message).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={200: serializers.ConversationSerializer})
    @action(detail=True, methods=["post"], url_path="pause-bot")
    def pause_bot(self, request, pk=None):
        return self._set_paused(request, paused=True)

    @extend_schema(request=None, responses={200: serializers.ConversationSerializer})
    @action(detail=True, methods=["post"], url_path="resume-bot")
    def resume_bot(self, request, pk=None):
        return self._set_paused(request, paused=False)

    def _set_paused(self, request, *, paused: bool):
        conversation = conversations.set_bot_paused(conversation=self.get_object(), paused=paused, actor=request.user)
        return Response(serializers.ConversationSerializer(conversation).data)


class TemplateViewSet(TenantModelViewSet):
    queryset = selectors.templates()
    serializer_class = serializers.TemplateSerializer
    filterset_class = TemplateFilter
    ordering_fields = ["name", "created_at"]
    ordering = ["name", "language"]

    def perform_create(self, serializer):
        serializer.instance = conversations.create_template(actor=self.request.user, **serializer.validated_data)

    def perform_update(self, serializer):
        data = {k: v for k, v in serializer.validated_data.items() if k != "salon"}
        serializer.instance = conversations.update_template(
            actor=self.request.user, template=serializer.instance, **data
        )
