"""Input and output shapes of the availability endpoints (API.md, Salons and Masters)."""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from . import selectors

# API.md: the range form covers at most 31 days, both ends included.
MAX_RANGE_DAYS = 31

NO_SUCH_SERVICE = _("No such service in this salon.")


def _service(salon_id, service_id):
    service = selectors.salon_service(salon_id, service_id)
    if service is None:
        raise serializers.ValidationError({"service_id": [NO_SUCH_SERVICE]})
    return service


class MasterAvailabilityQuery(serializers.Serializer):
    """`date` with `duration_minutes` or `service_id` (context: `salon_id`); adds `service` when given."""

    date = serializers.DateField(input_formats=["%Y-%m-%d"])
    duration_minutes = serializers.IntegerField(min_value=5, max_value=720, required=False)
    service_id = serializers.UUIDField(required=False)

    def validate(self, attrs):
        if "duration_minutes" not in attrs and "service_id" not in attrs:
            raise serializers.ValidationError({"duration_minutes": [_("Give duration_minutes or service_id.")]})
        if "duration_minutes" not in attrs:
            attrs["duration_minutes"] = _service(self.context["salon_id"], attrs["service_id"]).duration_minutes
        return attrs


class SalonAvailabilityQuery(serializers.Serializer):
    """One day (`date`) or a range (`date_from`..`date_to`), never both (context: `salon_id`).

    Valid input carries `days` (the dates asked for, in order) and `service`.
    """

    date = serializers.DateField(input_formats=["%Y-%m-%d"], required=False)
    date_from = serializers.DateField(input_formats=["%Y-%m-%d"], required=False)
    date_to = serializers.DateField(input_formats=["%Y-%m-%d"], required=False)
    service_id = serializers.UUIDField()
    master_id = serializers.UUIDField(required=False)

    def validate(self, attrs):
        day, first, last = attrs.get("date"), attrs.get("date_from"), attrs.get("date_to")
        if day is not None and (first is not None or last is not None):
            raise serializers.ValidationError({"date": [_("Give either date or date_from and date_to, not both.")]})
        if day is None and first is None and last is None:
            raise serializers.ValidationError({"date": [_("Give date, or date_from and date_to.")]})
        if day is None:
            if first is None or last is None:
                missing = "date_from" if first is None else "date_to"
                raise serializers.ValidationError({missing: [_("date_from and date_to go together.")]})
            if last < first:
                raise serializers.ValidationError({"date_to": [_("date_to must not be before date_from.")]})
            if (last - first).days >= MAX_RANGE_DAYS:
                raise serializers.ValidationError(
                    {"date_to": [_("A range covers at most %(days)d days.") % {"days": MAX_RANGE_DAYS}]}
                )
        attrs["service"] = _service(self.context["salon_id"], attrs["service_id"])
        return attrs

    @property
    def is_range(self) -> bool:
        return "date" not in self.validated_data


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


class DaySlotsSerializer(serializers.Serializer):
    date = serializers.DateField()
    slots = SlotSerializer(many=True)


class SalonAvailabilityRangeSerializer(serializers.Serializer):
    salon_id = serializers.UUIDField()
    service_id = serializers.UUIDField()
    duration_minutes = serializers.IntegerField()
    timezone = serializers.CharField()
    days = DaySlotsSerializer(many=True, help_text="Every date of the range, in order; empty slots where none is free.")


# A month of a busy salon is about 2,000 (start, master) pairs; a field object per value makes
# rendering cost as much as computing. These give what the serializers above give (a test holds
# them equal) with the DRF field applied once per distinct start and id.
_START = serializers.DateTimeField()


def slots_data(found) -> list[dict]:
    """`SlotSerializer(many=True)` of [(start, master_ids), ...]."""
    ids: dict = {}
    return [
        {
            "start": _START.to_representation(start),
            "master_ids": [ids.get(pk) or ids.setdefault(pk, str(pk)) for pk in master_ids],
        }
        for start, master_ids in found
    ]


def salon_availability_data(*, salon, service, day, found) -> dict:
    """`SalonAvailabilitySerializer` of one day's slots."""
    return {
        "salon_id": str(salon.pk),
        "date": day.isoformat(),
        "service_id": str(service.pk),
        "duration_minutes": service.duration_minutes,
        "slots": slots_data(found),
    }


def salon_availability_range_data(*, salon, service, by_day) -> dict:
    """`SalonAvailabilityRangeSerializer` of {day: slots}, every day of the range in order."""
    return {
        "salon_id": str(salon.pk),
        "service_id": str(service.pk),
        "duration_minutes": service.duration_minutes,
        "timezone": salon.timezone,
        "days": [{"date": day.isoformat(), "slots": slots_data(found)} for day, found in by_day.items()],
    }
