"""Availability endpoints of API.md: one master's free starts, and "any master" for a salon (a day or a range)."""

from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, PolymorphicProxySerializer, extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from salonbot.db.router import replica_reads
from salons.models import Master, Salon

from . import slots
from .availability_serializers import (
    MasterAvailabilityQuery,
    MasterAvailabilitySerializer,
    SalonAvailabilityQuery,
    SalonAvailabilityRangeSerializer,
    SalonAvailabilitySerializer,
    salon_availability_data,
    salon_availability_range_data,
)

LOCAL_DATE = "YYYY-MM-DD, in the salon's timezone"


class MasterAvailabilityView(APIView):
    @extend_schema(
        parameters=[
            OpenApiParameter("date", OpenApiTypes.DATE, description=LOCAL_DATE, required=True),
            OpenApiParameter("duration_minutes", int),
            OpenApiParameter("service_id", OpenApiTypes.UUID),
        ],
        responses={200: MasterAvailabilitySerializer},
    )
    @replica_reads
    def get(self, request, pk):
        master = get_object_or_404(Master.objects.for_user(request.user).select_related("salon"), pk=pk)
        query = MasterAvailabilityQuery(data=request.query_params, context={"salon_id": master.salon_id})
        query.is_valid(raise_exception=True)
        day, duration = query.validated_data["date"], query.validated_data["duration_minutes"]
        body = {
            "master_id": master.pk,
            "date": day,
            "timezone": master.salon.timezone,
            "duration_minutes": duration,
            "slot_interval_minutes": master.salon.slot_interval_minutes,
            "available_slots": slots.master_slots(master=master, day=day, duration_minutes=duration),
        }
        return Response(MasterAvailabilitySerializer(body).data)


class SalonAvailabilityView(APIView):
    @extend_schema(
        description=(
            "Free starts for any master who performs the service: one day (`date`) or a range of at most "
            "31 days (`date_from` and `date_to`, inclusive), not both. Days outside the salon's booking "
            "horizon are empty."
        ),
        parameters=[
            OpenApiParameter("date", OpenApiTypes.DATE, description=f"{LOCAL_DATE}; the one-day form"),
            OpenApiParameter("date_from", OpenApiTypes.DATE, description=f"{LOCAL_DATE}; the range form, with date_to"),
            OpenApiParameter(
                "date_to", OpenApiTypes.DATE, description=f"{LOCAL_DATE}, inclusive; at most 30 days after date_from"
            ),
            OpenApiParameter("service_id", OpenApiTypes.UUID, required=True),
            OpenApiParameter("master_id", OpenApiTypes.UUID, description="Only this master's free starts"),
        ],
        responses={
            200: PolymorphicProxySerializer(
                component_name="SalonAvailabilityAnswer",
                serializers=[SalonAvailabilitySerializer, SalonAvailabilityRangeSerializer],
                resource_type_field_name=None,
            )
        },
    )
    @replica_reads
    def get(self, request, pk):
        salon = get_object_or_404(Salon.objects.for_user(request.user), pk=pk)
        query = SalonAvailabilityQuery(data=request.query_params, context={"salon_id": salon.pk})
        query.is_valid(raise_exception=True)
        params, service = query.validated_data, query.validated_data["service"]
        days = slots.date_range(params["date_from"], params["date_to"]) if query.is_range else [params["date"]]
        by_day = slots.salon_slots(salon=salon, service=service, days=days, master=params.get("master_id"))
        if query.is_range:
            return Response(salon_availability_range_data(salon=salon, service=service, by_day=by_day))
        return Response(salon_availability_data(salon=salon, service=service, day=days[0], found=by_day[days[0]]))
