"""Hostile bodies on every write endpoint of the OpenAPI schema: a 4xx or a success, never a 5xx.

The endpoints are read from the schema drf-spectacular generates, so a new write endpoint is
fuzzed without touching this file. Bodies mix plausible values (the caller's own ids, a valid
time) with hostile ones: huge numbers, NUL characters, lone surrogates, years 1 and 9999, deep
nesting, very long strings, wrong types and another tenant's ids. Deterministic (derandomized,
bounded examples), so a failure reproduces on every run.
"""

import json
import re
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests import factories
from tests.conftest import client_for
from tests.messaging.factories import ConversationFactory, TemplateFactory

pytestmark = pytest.mark.django_db
WRITE_METHODS = ("post", "put", "patch", "delete")
EXAMPLES_PER_ENDPOINT = 20


def _write_operations() -> list[tuple[str, str, dict]]:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    components = schema.get("components", {}).get("schemas", {})

    def resolve(node):
        if isinstance(node, dict) and "$ref" in node:
            return resolve(components[node["$ref"].rsplit("/", 1)[-1]])
        return node or {}

    operations = []
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            if method not in WRITE_METHODS:
                continue
            content = operation.get("requestBody", {}).get("content", {})
            body_schema = resolve(content.get("application/json", {}).get("schema"))
            properties = {name: resolve(prop) for name, prop in body_schema.get("properties", {}).items()}
            operations.append((method, path, (properties, frozenset(body_schema.get("required", ())))))
    return operations


OPERATIONS = _write_operations()


def test_the_schema_lists_the_write_endpoints_this_fuzzes():
    paths = {(method, path) for method, path, _ in OPERATIONS}
    assert {("post", "/api/bookings"), ("patch", "/api/salons/{id}"), ("post", "/api/masters/{id}/time-off")} <= paths
    assert len(paths) >= 25


def _deep(depth: int, leaf="x"):
    value = leaf
    for level in range(depth):
        value = [value] if level % 2 else {"k": value}
    return value


HOSTILE_STRINGS = [
    "",
    " ",
    "\x00",
    "a\u0000b",
    "\ud800",  # a lone surrogate: valid JSON escape, not encodable as UTF-8
    "x" * 5000,
    "y" * 100_000,
    "9999-12-31T23:50:00+00:00",
    "0001-01-01T12:00:00Z",
    "1900-01-01T00:00:00Z",
    "2200-01-01T00:00:00+02:00",
    "2026-01-01T10:00:00",  # no offset
    "9999-12-31",
    "0001-01-01",
    "NaN",
    "-1",
    "1e999",
    "' OR 1=1 --",
    "<script>alert(1)</script>",
    "Europe/Nowhere",
    "../../etc/passwd",
    "+00000000000000000000000",
]
HOSTILE_NUMBERS = [0, -1, 1, 2**31, -(2**31) - 1, 2**63, -(2**63) - 1, 10**30, 0.5, 1e308, -1e308]


def hostile_values(own_ids: list[str], other_ids: list[str]) -> st.SearchStrategy:
    scalars = st.one_of(
        st.sampled_from(HOSTILE_STRINGS),
        st.sampled_from(HOSTILE_NUMBERS),
        st.integers(min_value=-(2**70), max_value=2**70),
        st.text(max_size=30),
        st.booleans(),
        st.none(),
        st.sampled_from(own_ids + other_ids + [str(uuid.UUID(int=0)), "not-a-uuid"]),
    )
    nested = st.recursive(
        scalars,
        lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3),
        max_leaves=8,
    )
    return st.one_of(nested, st.sampled_from([_deep(60), _deep(900), [None] * 2000, {str(i): i for i in range(500)}]))


def plausible_value(name: str, prop: dict, world: dict) -> st.SearchStrategy:
    """Values the endpoint accepts, so that the hostile ones reach the code behind validation."""
    future = (datetime.now(UTC) + timedelta(days=10)).replace(hour=10, minute=0, second=0, microsecond=0)
    if name.endswith("_id") or prop.get("format") == "uuid":
        kind = name.removesuffix("_id")
        own, other = world["own"].get(kind, world["own"]["salon"]), world["other"].get(kind, world["other"]["salon"])
        return st.sampled_from([own, own, own, other])
    if name.endswith("_ids"):
        return st.just([world["own"].get(name.removesuffix("_ids"), world["own"]["salon"])])
    if prop.get("format") == "date-time":
        return st.sampled_from([future.isoformat(), (future + timedelta(hours=1)).isoformat()])
    if prop.get("format") == "decimal":
        return st.sampled_from(["35.00", "0.01"])
    if prop.get("enum"):
        return st.sampled_from([v for v in prop["enum"] if v is not None] or [None])
    kind = prop.get("type")
    if kind == "integer":
        return st.integers(min_value=prop.get("minimum", 0), max_value=min(prop.get("maximum", 1000), 1000))
    if kind == "boolean":
        return st.booleans()
    if kind == "array":
        return st.just([])
    if kind == "object":
        return st.just({})
    known = {
        "email": st.uuids().map(lambda u: f"fuzz-{u.hex[:10]}@example.com"),
        "password": st.just("S3cure-pass-2026!"),
        "timezone": st.just("Europe/Berlin"),
        "currency": st.just("EUR"),
        "language": st.just("en"),
        "body": st.just("Hi {{1}}, see you on {{2}}."),
    }
    if name in known:
        return known[name]
    if "phone" in name:
        return st.just("+491701234567")
    return st.text(alphabet="abcdefghij ", min_size=1, max_size=20)


@st.composite
def bodies(draw, properties: dict, required: set, world: dict):
    """A plausible body with one or two fields made hostile; now and then hostile as a whole."""
    hostile = hostile_values(list(world["own"].values()), list(world["other"].values()))
    if draw(st.integers(min_value=0, max_value=9)) == 0:
        return draw(hostile)
    body = {
        name: draw(plausible_value(name, prop, world))
        for name, prop in properties.items()
        if name in required or draw(st.booleans())
    }
    targets = [*properties, "unexpected"]
    for name in draw(st.lists(st.sampled_from(targets), min_size=0, max_size=2, unique=True)):
        body[name] = draw(hostile)
    return body


def path_ids(path: str, world: dict) -> st.SearchStrategy:
    """Each `{param}` of the path: mostly the caller's own object, else another tenant's or nobody's."""
    resource = path.split("/")[2].rstrip("s")  # /api/bookings/{id} → booking
    params = re.findall(r"{(\w+)}", path)

    def choices(param):
        kind = "time_off" if param == "time_off_id" else resource
        own = world["own"][kind]
        return st.sampled_from([own, own, own, world["other"][kind], str(uuid.UUID(int=7))])

    return st.fixed_dictionaries({param: choices(param) for param in params})


def make_world() -> dict:
    def tenant():
        salon = factories.SalonFactory()
        service = factories.ServiceFactory(salon=salon)
        master = factories.MasterFactory(salon=salon, services=[service])
        conversation = ConversationFactory(salon=salon)
        template = TemplateFactory(salon=salon)
        start = (datetime.now(UTC) + timedelta(days=3)).replace(hour=9, minute=0, second=0, microsecond=0)
        from bookings.models import ActorKind, BookingSource
        from bookings.services import create_booking

        booking = create_booking(
            actor=None,
            actor_kind=ActorKind.SYSTEM,
            salon=salon,
            master=master,
            service=service,
            start_ts=start,
            customer=conversation.customer,
            source=BookingSource.API,
        )
        time_off = factories.TimeOffFactory(
            master=master, start_ts=start + timedelta(days=1), end_ts=start + timedelta(days=1, hours=2)
        )
        ids = {
            "salon": salon,
            "service": service,
            "master": master,
            "conversation": conversation,
            "template": template,
            "booking": booking,
            "time_off": time_off,
            "customer": conversation.customer,
        }
        return salon.owner, {kind: str(obj.pk) for kind, obj in ids.items()}

    owner, own = tenant()
    _other_owner, other = tenant()
    return {"owner": owner, "own": own, "other": other}


@pytest.mark.parametrize("method,path,body_schema", OPERATIONS, ids=[f"{m.upper()} {p}" for m, p, _ in OPERATIONS])
def test_hostile_input_never_answers_5xx(method, path, body_schema, settings):
    settings.API_RATE_LIMIT = None
    settings.AUTH_RATE_LIMIT = None
    world = make_world()
    client = client_for(world["owner"])

    @settings_for_fuzz
    @given(body=bodies(*body_schema, world), ids=path_ids(path, world))
    def fuzz(body, ids):
        url = re.sub(r"{(\w+)}", lambda m: ids[m.group(1)], path)
        data = json.dumps(body)  # ensure_ascii: NUL and lone surrogates travel as escapes, as Meta's do
        response = getattr(client, method)(url, data=data, content_type="application/json")
        assert response.status_code < 500, (
            method.upper(),
            url,
            body if len(data) < 2000 else data[:2000],
            response.content[:500],
        )

    fuzz()


settings_for_fuzz = settings(
    derandomize=True,
    database=None,
    max_examples=EXAMPLES_PER_ENDPOINT,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)


def test_an_error_quoting_a_lone_surrogate_back_is_a_400(api, salon):
    """Found by the fuzzer: `"\\ud800" is not a valid choice.` could not be encoded as UTF-8 (a 500)."""
    body = {"salon_id": str(salon.pk), "name": "reminder", "language": "en", "category": "\ud800", "body": "Hi {{1}}"}
    response = api.post("/api/templates", data=json.dumps(body), content_type="application/json")
    assert response.status_code == 400
    assert response.json() == {"category": ['"\ud800" is not a valid choice.']}
