"""Security headers on API and admin answers; production settings pass `check --deploy`."""

import json
import re

import pytest

from tests.gateway.conftest import run_django

pytestmark = pytest.mark.django_db

PRODUCTION = {
    "DEBUG": "0",
    "SECRET_KEY": "k3y-for-tests-only-" + "x7Qp2Lm9Rt" * 5,
    "ALLOWED_HOSTS": "api.salonbot.example",
}


def csp_directives(response) -> dict[str, list[str]]:
    policy = response["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in policy.split(";") if part.strip()}


def assert_security_headers(response):
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    csp = csp_directives(response)
    assert csp["default-src"] == ["'self'"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["object-src"] == ["'none'"]
    for directive in ("script-src", "style-src"):
        assert csp[directive] == ["'self'"], "no inline code and no third-party host"


@pytest.mark.parametrize("path", ["/api/auth/me", "/api/no-such-thing", "/admin/login/", "/api/docs"])
def test_security_headers_on_api_admin_and_docs(client, api, path):
    response = (api if path.startswith("/api/auth") else client).get(path)
    assert_security_headers(response)


def test_docs_page_runs_no_inline_code_and_loads_only_its_own_files(client):
    page = client.get("/api/docs")
    assert page.status_code == 200
    html = page.content.decode()
    assert "<style" not in html
    scripts = re.findall(r"<script([^>]*)>", html)
    assert scripts and all('src="/' in attrs for attrs in scripts), "every script is a same-origin file"
    assert "//" not in " ".join(re.findall(r'(?:src|href)="([^"]+)"', html)), "no CDN"
    init = client.get("/api/docs?script=")
    assert init.status_code == 200
    assert init["Content-Type"].startswith("application/javascript")
    assert "/api/schema" in init.content.decode()
    assert "validatorUrl" in init.content.decode()  # switched off: the badge is a third-party image


def test_static_files_of_the_docs_are_served_in_debug(settings):
    from django.test import Client

    settings.DEBUG = True
    settings.WHITENOISE_USE_FINDERS = True  # WhiteNoise's own default when DEBUG is on at startup
    client = Client()  # a new client builds its middleware under these settings
    html = client.get("/api/docs").content.decode()
    for url in re.findall(r'(?:src|href)="(/static/[^"]+)"', html):
        response = client.get(url)
        assert response.status_code == 200, url
        assert b"".join(response.streaming_content if response.streaming else [response.content])


def test_static_files_are_served_in_production_after_collectstatic(settings, tmp_path):
    from django.core.management import call_command
    from django.test import Client

    settings.STATIC_ROOT = tmp_path
    settings.WHITENOISE_USE_FINDERS = False
    call_command("collectstatic", "--noinput", verbosity=0)
    client = Client()
    for url in (
        "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js",
        "/static/salonbot/swagger-ui-page.css",
        "/static/admin/css/base.css",
    ):
        assert client.get(url).status_code == 200, url


def test_production_settings_pass_check_deploy():
    result = run_django(
        "from django.core.management import call_command\n"
        "call_command('check', '--deploy', '--fail-level', 'WARNING')\n",
        **PRODUCTION,
    )
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout + result.stderr


def test_production_answers_with_hsts_secure_cookies_and_https_redirect():
    result = run_django(
        "import json\n"
        "from django.conf import settings\n"
        "from django.test import Client\n"
        "c = Client(HTTP_HOST='api.salonbot.example')\n"
        "plain = c.get('/api/auth/me')\n"
        "tls = c.get('/api/auth/me', secure=True)\n"
        "print(json.dumps({'plain': plain.status_code, 'location': plain.get('Location'),\n"
        "    'tls': tls.status_code, 'hsts': tls.get('Strict-Transport-Security'),\n"
        "    'cookies': [settings.SESSION_COOKIE_SECURE, settings.CSRF_COOKIE_SECURE]}))\n",
        **PRODUCTION,
    )
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    assert seen["plain"] == 301
    assert seen["location"].startswith("https://api.salonbot.example/")
    assert seen["tls"] == 401
    assert "max-age=31536000" in seen["hsts"]
    assert "includeSubDomains" in seen["hsts"]
    assert seen["cookies"] == [True, True]


def test_production_refuses_to_start_without_secret_key():
    result = run_django("print('started')\n", DEBUG="0", ALLOWED_HOSTS="api.salonbot.example")
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "SECRET_KEY" in result.stderr
    assert "started" not in result.stdout


def test_a_malformed_rate_limit_refuses_to_start():
    result = run_django("print('started')\n", API_RATE_LIMIT="100 per minute")
    assert result.returncode != 0
    assert "API_RATE_LIMIT" in result.stderr
