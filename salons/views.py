"""Viewsets for salons, masters, services and customers: parse → call a service → render."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.response import Response

from salonbot.api.viewsets import TenantModelViewSet, TenantReadUpdateViewSet

from . import selectors, serializers, services
from .filters import CustomerFilter, MasterFilter, ServiceFilter
from .models import MasterTimeOff, Salon, Service


class SalonViewSet(TenantModelViewSet):
    queryset = Salon.objects.select_related("owner")
    serializer_class = serializers.SalonSerializer
    filterset_fields = ["is_active", "language"]
    ordering_fields = ["name", "created_at"]
    ordering = ["name"]

    def perform_create(self, serializer):
        serializer.instance = services.create_salon(actor=self.request.user, **serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = services.update_salon(
            actor=self.request.user, salon=serializer.instance, **serializer.validated_data
        )

    @extend_schema(responses={200: serializers.UsageSerializer})
    @action(detail=True, methods=["get"])
    def usage(self, request, pk=None):
        return Response(selectors.salon_usage(self.get_object()))


class ServiceViewSet(TenantModelViewSet):
    queryset = Service.objects.all()
    serializer_class = serializers.ServiceSerializer
    filterset_class = ServiceFilter
    ordering_fields = ["name", "price", "duration_minutes", "created_at"]
    ordering = ["name"]

    def perform_create(self, serializer):
        serializer.instance = services.create_service(actor=self.request.user, **serializer.validated_data)

    def perform_update(self, serializer):
        data = {k: v for k, v in serializer.validated_data.items() if k != "salon"}
        serializer.instance = services.update_service(actor=self.request.user, service=serializer.instance, **data)


class MasterViewSet(TenantModelViewSet):
    queryset = selectors.masters_with_services()
    serializer_class = serializers.MasterSerializer
    filterset_class = MasterFilter
    ordering_fields = ["name", "created_at"]
    ordering = ["name"]

    def perform_create(self, serializer):
        serializer.instance = services.create_master(actor=self.request.user, **serializer.validated_data)

    def perform_update(self, serializer):
        data = {k: v for k, v in serializer.validated_data.items() if k != "salon"}
        serializer.instance = services.update_master(actor=self.request.user, master=serializer.instance, **data)

    # The master list's filters and ordering do not apply to the time-off list.
    @extend_schema(
        responses={200: serializers.TimeOffSerializer(many=True)},
        parameters=[
            OpenApiParameter(name, exclude=True)
            for name in ("salon_id", "is_active", "service_id", "search", "ordering")
        ],
    )
    @action(detail=True, methods=["get"], url_path="time-off")
    def time_off(self, request, pk=None):
        master = self.get_object()
        page = self.paginate_queryset(MasterTimeOff.objects.filter(master=master).order_by("start_ts"))
        return self.get_paginated_response(serializers.TimeOffSerializer(page, many=True).data)

    @extend_schema(request=serializers.TimeOffSerializer, responses={201: serializers.TimeOffSerializer})
    @time_off.mapping.post
    def add_time_off(self, request, pk=None):
        master = self.get_object()
        data = serializers.TimeOffSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        time_off = services.add_time_off(actor=request.user, master=master, **data.validated_data)
        return Response(serializers.TimeOffSerializer(time_off).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={204: None})
    @action(detail=True, methods=["delete"], url_path=r"time-off/(?P<time_off_id>[0-9a-fA-F-]{36})")
    def delete_time_off(self, request, pk=None, time_off_id=None):
        master = self.get_object()
        get_object_or_404(MasterTimeOff, master=master, pk=time_off_id).delete()
        return Response(status=status.HTTP_204_NO_CONTENT)


class CustomerViewSet(TenantReadUpdateViewSet):
    queryset = selectors.customers_with_stats()
    serializer_class = serializers.CustomerSerializer
    filterset_class = CustomerFilter
    ordering_fields = ["name", "created_at", "last_booking_at"]
    ordering = ["name", "phone"]

    def perform_update(self, serializer):
        serializer.instance = services.update_customer(
            actor=self.request.user, customer=serializer.instance, **serializer.validated_data
        )
        serializer.instance = self.get_queryset().get(pk=serializer.instance.pk)
