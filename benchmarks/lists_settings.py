"""Settings for bench_lists.py: the product's, with benchmarks/lists_urls.py as the URL conf."""

from salonbot.settings import *  # noqa: F403

ROOT_URLCONF = "benchmarks.lists_urls"
