"""Run the fault scenarios once and print what each cost, as a table.

    .venv/bin/python -m tests.faults.report                 # this checkout's code
    .venv/bin/python -m tests.faults.report --root DIR      # another checkout's (e.g. the code before)

The stack (tests/faults/stack.py) runs `root`'s code: its gunicorn, worker, beat and migrations.
The load and the measuring are this checkout's, so two runs on one machine compare like with like.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from pathlib import Path

import django


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--root", type=Path, default=None, help="the checkout whose code the servers run")
    parser.add_argument("--label", default="", help="a word for the table's rows (before, after)")
    parser.add_argument("--keep", action="store_true", help="leave the logs and data directory")
    options = parser.parse_args()

    # The harness reuses tests/messaging's fake Graph API, which imports Django.
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "salonbot.settings")
    django.setup()
    from tests.faults import scenarios
    from tests.faults.stack import ROOT, Stack, requirements_missing

    missing = requirements_missing()
    if missing:
        print(missing, file=sys.stderr)
        return 2
    workdir = Path(tempfile.mkdtemp(prefix="salonbot-faults-report-"))
    os.chmod(workdir, 0o755)
    stack = Stack(workdir, root=(options.root or ROOT).resolve())
    rows = []
    try:
        stack.start()
        for name, fault in scenarios.POSTGRES_SCENARIOS.items():
            rows.append(scenarios.postgres_outage(stack, name, fault))
            print(scenarios.table(rows[-1:]), rows[-1].notes, flush=True)
        rows.append(scenarios.redis_outage(stack))
        print(scenarios.table(rows[-1:]), rows[-1].notes, flush=True)
        alive = scenarios.worker_and_beat_alive(stack)
    finally:
        stack.stop()
        if options.keep:
            print(f"logs and data: {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    if options.label:
        for row in rows:
            row.scenario = f"{row.scenario} ({options.label})"
    print()
    print(f"code: {stack.root}")
    print(scenarios.table(rows))
    for row in rows:
        print(f"  {row.scenario}: {'; '.join(row.notes)}")
    print(f"web, worker and beat still running: {alive}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
