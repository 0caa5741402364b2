"""The fault tests' stack (tests/faults/stack.py), built once for the session: `make test-faults`."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

from tests.faults.stack import Stack, requirements_missing


@pytest.fixture(scope="session")
def fault_stack():
    missing = requirements_missing()
    if missing:
        pytest.skip(missing)
    workdir = Path(tempfile.mkdtemp(prefix="salonbot-faults-"))
    os.chmod(workdir, 0o755)
    stack = Stack(workdir)
    try:
        yield stack.start()
    finally:
        stack.stop()
        if not os.environ.get("FAULTS_KEEP"):  # FAULTS_KEEP=1 leaves logs and data to read after a failure
            shutil.rmtree(workdir, ignore_errors=True)
