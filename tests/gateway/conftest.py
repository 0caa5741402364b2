import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django_ratelimit.core import _get_window

from salonbot.api.throttling import breaker

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _closed_breaker():
    # A test that takes the counter store down trips the breaker; the next test starts closed.
    breaker.reset()
    yield
    breaker.reset()


def fresh_window(key: str, period: int = 60, margin: int = 5) -> None:
    """Wait out the current rate-limit window when it ends within `margin` seconds.

    django-ratelimit counts in fixed windows; a count that straddles the edge restarts at zero
    and would make a "the 101st request is refused" test flaky.
    """
    left = _get_window(key, period) - int(time.time())
    if left < margin:
        time.sleep(left + 1)


def run_django(code: str, **env) -> subprocess.CompletedProcess:
    """Run `code` in a fresh interpreter with Django set up from `env`: settings read at import."""
    base = {k: v for k, v in os.environ.items() if k not in ("DEBUG", "SECRET_KEY", "ALLOWED_HOSTS")}
    base["DJANGO_SETTINGS_MODULE"] = "salonbot.settings"
    script = "import django\ndjango.setup()\n" + code
    return subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )
