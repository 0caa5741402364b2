"""WhatsApp Cloud API transport: webhook signatures and payloads, outbound bodies, send backends.

It knows nothing of salons or bookings (no model imports); the messaging services call it.
"""
