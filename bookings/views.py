"""Bookings API: parse → call a booking service → render."""

from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.response import Response

from salonbot.api.viewsets import TenantModelViewSet, TenantReadOnlyViewSet
from salonbot.db.router import replica_reads

from . import selectors, serializers, services
from .filters import BookingFilter, ReminderFilter, WaitlistFilter
from .models import BookingSource

CONFLICT = OpenApiResponse(description="booking_conflict / invalid_transition")


@extend_schema_view(
    create=extend_schema(
        request=serializers.BookingCreateSerializer, responses={201: serializers.BookingSerializer, 409: CONFLICT}
    ),
    partial_update=extend_schema(
        request=serializers.BookingUpdateSerializer, responses={200: serializers.BookingSerializer, 409: CONFLICT}
    ),
)
class BookingViewSet(TenantModelViewSet):
    queryset = selectors.bookings_with_relations()
    serializer_class = serializers.BookingSerializer
    filterset_class = BookingFilter
    ordering_fields = ["start_ts", "created_at"]
    ordering = ["-start_ts"]
    http_method_names = ["get", "post", "patch", "head", "options"]

    def create(self, request, *args, **kwargs):
        data = serializers.BookingCreateSerializer(data=request.data, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        values = data.validated_data
        booking = services.create_booking(
            actor=request.user,
            salon=values["salon_id"],
            master=values.get("master_id"),
            service=values.get("service_id"),
            start_ts=values["start_ts"],
            end_ts=values.get("end_ts"),
            customer_name=values["customer_name"],
            customer_phone=values["customer_phone"],
            notes=values["notes"],
            source=BookingSource.API,
        )
        # Rendered from the rows the service holds: nothing to read back.
        return Response(serializers.BookingSerializer(booking).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request, *args, **kwargs):
        booking = self.get_object()
        data = serializers.BookingUpdateSerializer(data=request.data, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        values = data.validated_data
        booking = services.reschedule_booking(
            actor=request.user,
            booking=booking,
            start_ts=values.get("start_ts"),
            end_ts=values.get("end_ts"),
            master=values.get("master_id"),
            service=values.get("service_id"),
            notes=values.get("notes"),
            customer_name=values.get("customer_name"),
        )
        return Response(self._render(booking))

    def _render(self, booking):
        # Read back through the read path (replica-eligible): after this request's write the router
        # keeps it on the primary, so the answer shows what was just written.
        return replica_reads(self._read_back)(booking.pk)

    def _read_back(self, pk):
        return serializers.BookingSerializer(self.get_queryset().get(pk=pk)).data

    def _transition(self, request, name: str, reason: str = ""):
        booking = services.transition_booking(actor=request.user, booking=self.get_object(), action=name, reason=reason)
        return Response(self._render(booking))

    @extend_schema(request=None, responses={200: serializers.BookingSerializer, 409: CONFLICT})
    @action(detail=True, methods=["post"])
    def start(self, request, pk=None):
        return self._transition(request, "start")

    @extend_schema(request=None, responses={200: serializers.BookingSerializer, 409: CONFLICT})
    @action(detail=True, methods=["post"])
    def complete(self, request, pk=None):
        return self._transition(request, "complete")

    @extend_schema(request=serializers.CancelSerializer, responses={200: serializers.BookingSerializer, 409: CONFLICT})
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        data = serializers.CancelSerializer(data=request.data or {})
        data.is_valid(raise_exception=True)
        return self._transition(request, "cancel", reason=data.validated_data["reason"])

    @extend_schema(request=None, responses={200: serializers.BookingSerializer, 409: CONFLICT})
    @action(detail=True, methods=["post"], url_path="no-show")
    def no_show(self, request, pk=None):
        return self._transition(request, "no_show")

    @extend_schema(responses={200: serializers.BookingEventSerializer(many=True)})
    @action(detail=True, methods=["get"], pagination_class=None, filterset_class=None, filter_backends=[])
    def history(self, request, pk=None):
        events = selectors.booking_history(self.get_object())
        return Response(serializers.BookingEventSerializer(events, many=True).data)


class ReminderViewSet(TenantReadOnlyViewSet):
    queryset = selectors.reminders()
    serializer_class = serializers.ReminderSerializer
    filterset_class = ReminderFilter
    ordering_fields = ["scheduled_at", "created_at"]
    ordering = ["scheduled_at"]


class WaitlistViewSet(TenantReadOnlyViewSet):
    """Customers waiting for a full day to free up, in the order they joined (per day)."""

    queryset = selectors.waitlist_entries()
    serializer_class = serializers.WaitlistEntrySerializer
    filterset_class = WaitlistFilter
    ordering_fields = ["day", "created_at"]
    ordering = ["day", "created_at", "id"]
