"""Query filters that refuse what they cannot read instead of ignoring it.

django-filter reads `?is_active=maybe` as "no filter" and answers the whole list; DESIGN.md says an
input we cannot use is answered with a clear 4xx. FilterSets subclass `FilterSet` here to get that.
"""

import django_filters
from django import forms
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework
from django_filters.rest_framework.filterset import FILTER_FOR_DBFIELD_DEFAULTS

from salonbot.timebounds import OUT_OF_RANGE, is_within


class StrictBooleanField(forms.NullBooleanField):
    def to_python(self, value):
        if value in (None, "") or isinstance(value, bool):
            return None if value == "" else value
        text = str(value).strip().lower()
        if text in ("true", "1"):
            return True
        if text in ("false", "0"):
            return False
        raise forms.ValidationError(_("Use true or false."), code="invalid")


class RawTextWidget(forms.TextInput):
    """Hands the raw text to the field: django-filter's boolean widgets map unknown words to None."""


class BooleanFilter(django_filters.BooleanFilter):
    field_class = StrictBooleanField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", RawTextWidget)
        super().__init__(*args, **kwargs)


class BoundedDateField(forms.DateField):
    """A date in the years a salon works in: `?date_to=9999-12-31` is a 400, not an overflow a day later."""

    def to_python(self, value):
        day = super().to_python(value)
        if day is not None and not is_within(day):
            raise forms.ValidationError(OUT_OF_RANGE, code="out_of_range")
        return day


class DateFilter(django_filters.DateFilter):
    field_class = BoundedDateField


class FilterSet(rest_framework.FilterSet):
    FILTER_DEFAULTS = {
        **FILTER_FOR_DBFIELD_DEFAULTS,
        models.BooleanField: {"filter_class": BooleanFilter},
        models.DateField: {"filter_class": DateFilter},
    }


class DjangoFilterBackend(rest_framework.DjangoFilterBackend):
    """Builds `filterset_fields` filtersets on the strict base."""

    filterset_base = FilterSet
