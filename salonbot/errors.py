"""Domain errors raised by services; one exception handler turns them into API responses."""

from django.utils.translation import gettext_lazy as _


class DomainError(Exception):
    """A business rule refused the action. `code` is stable for clients, `status` is HTTP."""

    code = "domain_error"
    status = 400
    default_detail = _("The request could not be completed.")

    def __init__(self, detail=None, *, extra: dict | None = None):
        self.detail = str(detail if detail is not None else self.default_detail)
        self.extra = extra or {}
        super().__init__(self.detail)

    def as_dict(self) -> dict:
        return {"detail": self.detail, "code": self.code, **self.extra}


class BookingConflict(DomainError):
    code = "booking_conflict"
    status = 409
    default_detail = _("The master already has a booking at that time.")


class InvalidTransition(DomainError):
    code = "invalid_transition"
    status = 409
    default_detail = _("That status change is not allowed.")


class UsageLimitExceeded(DomainError):
    code = "usage_limit_exceeded"
    status = 403
    default_detail = _("The salon's plan limit has been reached.")


class SalonInactive(DomainError):
    code = "salon_inactive"
    status = 403
    default_detail = _("The salon is not active.")


class OutsideCustomerServiceWindow(DomainError):
    code = "outside_customer_service_window"
    status = 409
    default_detail = _("More than 24 hours have passed since the customer's last message; send a template.")


class OutsideWorkingHours(DomainError):
    """Raised only when the caller asked to be stopped there (the admin confirms first)."""

    code = "outside_working_hours"
    status = 409
    default_detail = _("The master does not work then (closed day, break, time off or outside the hours).")


class InvalidInput(DomainError):
    """Input that passed the serializer but breaks a rule; `field` names where."""

    code = "invalid"
    status = 400

    def __init__(self, detail=None, *, field: str | None = None):
        super().__init__(detail)
        self.field = field

    def as_dict(self) -> dict:
        if self.field:
            return {self.field: [self.detail]}
        return super().as_dict()


class WhatsAppUnavailable(DomainError):
    """Meta's Graph API could not be asked (down, timing out, or refusing the platform's token)."""

    code = "whatsapp_unavailable"
    status = 503
    default_detail = _("WhatsApp could not be reached to confirm the number; try again in a minute.")
