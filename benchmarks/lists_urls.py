"""URLs for bench_lists.py (benchmarks/lists_settings.py): the product, plus hand-written baseline views.

A baseline view runs the one query a list needs — the owner's first page, newest first — and
renders it with json.dumps: the floor the API's list can approach, measured in the same server.
"""

from django.http import JsonResponse
from django.urls import include, path


def _page(model, salon_ids, order, fields):
    from django.apps import apps

    rows = apps.get_model(*model.split(".")).objects.filter(salon_id__in=salon_ids).order_by(*order)
    return list(rows.values(*fields)[:20])


def baseline(model, order, fields):
    def view(request):
        salon_ids = request.GET.getlist("salon")
        return JsonResponse({"results": _page(model, salon_ids, order, fields)}, json_dumps_params={"default": str})

    return view


urlpatterns = [
    path(
        "bench/bookings",
        baseline("bookings.Booking", ["-start_ts"], ["id", "code", "start_ts", "end_ts", "status", "customer_name"]),
    ),
    path(
        "bench/customers",
        baseline("salons.Customer", ["name", "phone"], ["id", "name", "phone", "email", "wa_id", "created_at"]),
    ),
    path(
        "bench/conversations",
        baseline("messaging.Conversation", ["-last_message_at", "-created_at"], ["id", "wa_id", "status"]),
    ),
    path("", include("salonbot.urls")),
]
