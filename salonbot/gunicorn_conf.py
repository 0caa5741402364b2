"""gunicorn settings the command line does not carry (`gunicorn -c python:salonbot.gunicorn_conf ...`).

Used by docker-compose.yml, the Dockerfile and the scale tests.
"""

from salonbot import metrics

# Longer than the proxy keeps an idle upstream connection (nginx's upstream keepalive_timeout, 60 s):
# otherwise gunicorn closes one just as nginx sends a request on it, and a POST, which nginx will not
# send twice, comes back a 502.
keepalive = 75

# gunicorn 27's control socket is one path per user: several servers on a host would take it from
# each other. Nothing here uses it.
control_socket_disable = True


def on_starting(server):
    # Counts of a previous run in PROMETHEUS_MULTIPROC_DIR would be added to this one's.
    metrics.reset_multiprocess_dir()


def child_exit(server, worker):
    metrics.retire_process(worker.pid)
