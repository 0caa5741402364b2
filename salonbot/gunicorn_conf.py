"""gunicorn settings the command line cannot give: Prometheus multiprocess bookkeeping.

Used as `gunicorn -c python:salonbot.gunicorn_conf ...` (docker-compose.yml, the scale tests).
"""

from salonbot import metrics


def on_starting(server):
    # Counts of a previous run in PROMETHEUS_MULTIPROC_DIR would be added to this one's.
    metrics.reset_multiprocess_dir()


def child_exit(server, worker):
    metrics.retire_process(worker.pid)
