"""Signals that higher apps (analytics, messaging) listen to; salons imports none of them."""

from django.dispatch import Signal

customer_created = Signal()  # kwargs: customer
salon_changed = Signal()  # kwargs: salon
