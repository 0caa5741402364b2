"""The bot's flows, one module each: booking (and its confirmation), my bookings and cancelling,
moving a booking, the waiting list, a person taking over, and small talk."""
