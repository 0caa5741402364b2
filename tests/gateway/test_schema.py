"""The OpenAPI schema documents every endpoint, the JWT bearer scheme and the shared error answers."""

import pytest
from django.core.management import call_command

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def schema(django_db_blocker):
    from drf_spectacular.generators import SchemaGenerator

    with django_db_blocker.unblock():
        return SchemaGenerator().get_schema(request=None, public=True)


def test_schema_is_served_without_a_token(anon_api):
    response = anon_api.get("/api/schema", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    assert response.json()["openapi"].startswith("3.")


def test_schema_declares_jwt_bearer_auth(schema):
    assert schema["components"]["securitySchemes"]["jwtAuth"] == {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
    }
    assert schema["paths"]["/api/salons"]["get"]["security"] == [{"jwtAuth": []}]


def test_schema_generates_without_warnings_and_validates(tmp_path):
    # Every app's endpoints must come out with their real shapes; a warning means a guess.
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yml"))


def test_paths_are_written_without_the_trailing_slash(schema):
    assert "/api/auth/login" in schema["paths"]
    assert not [path for path in schema["paths"] if path.endswith("/")]


def test_shared_error_answers_are_documented(schema):
    listing = schema["paths"]["/api/salons"]["get"]["responses"]
    assert {"200", "400", "401", "403", "429"} <= set(listing)
    assert "Retry-After" in listing["429"]["headers"]
    detail = schema["paths"]["/api/salons/{id}"]["patch"]["responses"]
    assert {"400", "404", "413"} <= set(detail)
    assert detail["404"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}
    login = schema["paths"]["/api/auth/login"]["post"]["responses"]
    assert "401" in login
    assert "403" not in login  # a public endpoint has no role to refuse
