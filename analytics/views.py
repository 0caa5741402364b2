"""Analytics API: parse the salon, call a selector or service, render."""

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers as drf_serializers
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from salonbot.api.schema import ErrorSerializer
from salons.models import Salon

from . import selectors, services
from .serializers import DashboardQuerySerializer, DashboardSerializer

# 400 (salon_id missing for an owner, or not a UUID) comes from the shared schema's field errors.
NOT_FOUND = OpenApiResponse(response=ErrorSerializer, description="No such salon among yours.")


def _salon_from_query(request) -> Salon | None:
    """The salon named by `?salon_id=`, among the caller's; None means the whole platform.

    Only a super admin may leave it out. Another tenant's salon is a 404, like a missing one.
    """
    query = DashboardQuerySerializer(data=request.query_params)
    query.is_valid(raise_exception=True)
    salon_id = query.validated_data.get("salon_id")
    if salon_id is None:
        if request.user.is_super_admin:
            return None
        raise drf_serializers.ValidationError({"salon_id": [_("This field is required for salon owners.")]})
    return get_object_or_404(Salon.objects.for_user(request.user), pk=salon_id)


class DashboardView(APIView):
    @extend_schema(
        parameters=[DashboardQuerySerializer],
        responses={200: DashboardSerializer, 404: NOT_FOUND},
        description="Dashboard figures of one salon, or of the platform for a super admin without salon_id.",
    )
    def get(self, request):
        salon = _salon_from_query(request)
        figures = selectors.cached_salon_dashboard(salon) if salon else selectors.cached_platform_dashboard()
        return Response(DashboardSerializer(figures).data)


class DashboardCacheView(APIView):
    @extend_schema(
        parameters=[DashboardQuerySerializer],
        responses={204: None, 404: NOT_FOUND},
        description="Drop the cached dashboard of one salon (or, for a super admin without salon_id, the platform's).",
    )
    def delete(self, request):
        salon = _salon_from_query(request)
        services.drop_dashboard(salon_id=salon.pk if salon else None)
        return Response(status=status.HTTP_204_NO_CONTENT)
