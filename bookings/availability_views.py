"""Availability endpoints of API.md: one master's free starts, and "any master" for a salon."""

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from salonbot.db.router import replica_reads
from salons.models import Master, Salon, Service

from . import slots


class MasterAvailabilityQuery(serializers.Serializer):
    date = serializers.DateField(input_formats=["%Y-%m-%d"])
    duration_minutes = serializers.IntegerField(min_value=5, max_value=720, required=False)
    service_id = serializers.UUIDField(required=False)

    def validate(self, attrs):
        if "duration_minutes" not in attrs and "service_id" not in attrs:
            raise serializers.ValidationError({"duration_minutes": [_("Give duration_minutes or service_id.")]})
        return attrs


class SalonAvailabilityQuery(serializers.Serializer):
    date = serializers.DateField(input_formats=["%Y-%m-%d"])
    service_id = serializers.UUIDField()


class MasterAvailabilitySerializer(serializers.Serializer):
    master_id = serializers.UUIDField()
    date = serializers.DateField()
    timezone = serializers.CharField()
    duration_minutes = serializers.IntegerField()
    slot_interval_minutes = serializers.IntegerField()
    available_slots = serializers.ListField(child=serializers.DateTimeField())


class SlotSerializer(serializers.Serializer):
    start = serializers.DateTimeField()
    master_ids = serializers.ListField(child=serializers.UUIDField())


class SalonAvailabilitySerializer(serializers.Serializer):
    salon_id = serializers.UUIDField()
    date = serializers.DateField()
    service_id = serializers.UUIDField()
    duration_minutes = serializers.IntegerField()
    slots = SlotSerializer(many=True)


def _service_of(salon_id, service_id) -> Service:
    service = Service.objects.filter(salon_id=salon_id, pk=service_id).first()
    if service is None:
        raise serializers.ValidationError({"service_id": [_("No such service in this salon.")]})
    return service


DATE = OpenApiParameter("date", str, description="YYYY-MM-DD, in the salon's timezone", required=True)


class MasterAvailabilityView(APIView):
    @extend_schema(
        parameters=[DATE, OpenApiParameter("duration_minutes", int), OpenApiParameter("service_id", str)],
        responses={200: MasterAvailabilitySerializer},
    )
    @replica_reads
    def get(self, request, pk):
        master = get_object_or_404(Master.objects.for_user(request.user).select_related("salon"), pk=pk)
        query = MasterAvailabilityQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        params = query.validated_data
        duration = params.get("duration_minutes")
        if duration is None:
            duration = _service_of(master.salon_id, params["service_id"]).duration_minutes
        starts = slots.master_slots(master=master, day=params["date"], duration_minutes=duration)
        body = {
            "master_id": master.pk,
            "date": params["date"],
            "timezone": master.salon.timezone,
            "duration_minutes": duration,
            "slot_interval_minutes": master.salon.slot_interval_minutes,
            "available_slots": starts,
        }
        return Response(MasterAvailabilitySerializer(body).data)


class SalonAvailabilityView(APIView):
    @extend_schema(
        parameters=[DATE, OpenApiParameter("service_id", str, required=True)],
        responses={200: SalonAvailabilitySerializer},
    )
    @replica_reads
    def get(self, request, pk):
        salon = get_object_or_404(Salon.objects.for_user(request.user), pk=pk)
        query = SalonAvailabilityQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        day, service = query.validated_data["date"], _service_of(salon.pk, query.validated_data["service_id"])
        by_day = slots.salon_slots(salon=salon, service=service, days=[day])
        body = {
            "salon_id": salon.pk,
            "date": day,
            "service_id": service.pk,
            "duration_minutes": service.duration_minutes,
            "slots": [{"start": start, "master_ids": ids} for start, ids in by_day[day]],
        }
        return Response(SalonAvailabilitySerializer(body).data)
