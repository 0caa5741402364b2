"""`manage.py chat`: typed lines and numbered choices through the webhook's processing, in-process."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from bookings.models import Booking, BookingSource
from messaging.models import Direction, Message, WebhookEvent

# Real commits: the command relies on on-commit hooks firing as each line is processed.
pytestmark = pytest.mark.django_db(transaction=True)


def chat(salon, lines: str, phone="+4915112345678") -> str:
    out = StringIO()
    call_command("chat", "--salon", str(salon.pk), "--phone", phone, stdin=StringIO(lines), stdout=out)
    return out.getvalue()


def test_a_scripted_chat_books_with_numbered_choices(salon, shop):
    # hi, Book a visit, Haircut, Anna, the second day, the morning, its first time, a name, Confirm.
    output = chat(salon, "hi\n1\n1\n2\n2\n1\n1\nMarta\n1\n")
    booking = Booking.objects.get()
    assert booking.source == BookingSource.WHATSAPP and booking.customer.phone == "+4915112345678"
    assert "you> 1  [Book a visit]" in output and "(1) Book a visit   (2) My bookings" in output
    assert "      1. Haircut — 60 min · €35.00" in output
    assert "(1) Chat Customer" in output  # the profile name, one tap away
    assert f"Booking code: {booking.code}" in output
    assert booking.customer_name == booking.customer.name == "Marta"
    # The same path as the webhook: stored events, inbound and outbound messages.
    assert WebhookEvent.objects.count() == 9 and not WebhookEvent.objects.exclude(error="").exists()
    assert Message.objects.filter(direction=Direction.IN).count() == 9
    assert Message.objects.filter(direction=Direction.IN, type="list_reply").count() == 4


def test_free_text_lines_are_sent_as_typed(salon, shop):
    output = chat(salon, "haircut tomorrow at 3pm with Anna\nyes\nyes\n")
    assert "Name: Chat Customer" in output  # "yes" to the name offered
    assert "bot> Booked! ✅" in output


def test_an_unknown_salon_is_an_error(salon):
    with pytest.raises(CommandError):
        call_command("chat", "--salon", "nope", "--phone", "+4915112345678", stdin=StringIO(""))
