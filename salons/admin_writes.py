"""Admin pages that write through the salons services, and show a refusal on the form.

Django validates the form and its inlines first; only then does `save_model` call the service,
which decides what the form cannot (a plan limit, counted under a lock). A refusal there leaves
the admin's transaction, so nothing of the request stays written, and the page is built again
from the same POST with the refusal shown on the form: an error to correct, never a 500.
"""

from __future__ import annotations

from contextlib import contextmanager

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import models

from salonbot.admin import TenantAdmin
from salonbot.errors import DomainError, InvalidInput

REFUSAL = "_salons_admin_refusal"  # request attribute: the refusal the rebuilt page shows


class Refused(Exception):
    """A service refused the admin's write; carries the `DomainError` or `ValidationError`."""

    def __init__(self, error: DomainError | ValidationError):
        super().__init__(str(error))
        self.error = error


@contextmanager
def refusals():
    """`with refusals():` around a service call turns its refusal into `Refused`."""
    try:
        yield
    except (DomainError, ValidationError) as exc:
        raise Refused(exc) from exc


def add_refusal(form, error: DomainError | ValidationError) -> None:
    """Put a service's refusal on `form`: on the field it names when the form has it, else on top."""
    if isinstance(error, InvalidInput) and error.field in form.fields:
        form.add_error(error.field, error.detail)
    elif isinstance(error, DomainError):
        form.add_error(None, error.detail)
    elif hasattr(error, "error_dict"):
        for name, errors in error.error_dict.items():
            known = name in form.fields and name != NON_FIELD_ERRORS
            for message in ValidationError(errors).messages:
                form.add_error(name if known else None, message)
    else:
        for message in error.messages:
            form.add_error(None, message)


class RefusedFormMixin:
    """A form rebuilt after a refusal: it is invalid, with the refusal on it."""

    refusal: DomainError | ValidationError

    def clean(self):
        data = super().clean()
        add_refusal(self, self.refusal)
        return data


def model_values(form, *, changed_only: bool) -> dict:
    """The cleaned values of the model's own columns in `form` (not many-to-many), for a service."""
    names = form.changed_data if changed_only else form.cleaned_data
    model = form._meta.model
    columns = {f.name for f in model._meta.concrete_fields}
    return {name: form.cleaned_data[name] for name in names if name in columns and name in form.cleaned_data}


def adopt(obj: models.Model, saved: models.Model) -> None:
    """The admin goes on with its own `obj` (history, redirect): give it what the service stored."""
    for field in saved._meta.concrete_fields:
        setattr(obj, field.attname, getattr(saved, field.attname))
    obj._state.adding = False


class ServiceWritesAdmin(TenantAdmin):
    """A tenant admin whose saves are service calls: subclasses implement `save_model` (and
    `save_formset`) inside `with refusals():`."""

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except Refused as refused:  # the admin's transaction has been rolled back
            setattr(request, REFUSAL, refused.error)
            return super().changeform_view(request, object_id, form_url, extra_context)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        refusal = getattr(request, REFUSAL, None)
        if refusal is None:
            return form
        return type(form.__name__, (RefusedFormMixin, form), {"refusal": refusal})

    def save_related(self, request, form, formsets, change):
        # Many-to-many values went to the service with the object (`services=` of a master).
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)
