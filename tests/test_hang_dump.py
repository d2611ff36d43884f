"""A hung test fails with a dump of the live asyncio tasks, and the run goes on."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
HANGING = """
import asyncio


async def waits_for_nothing() -> None:
    await asyncio.Event().wait()


async def test_hangs() -> None:
    await waits_for_nothing()


def test_after() -> None:
    pass
"""


def test_a_hung_test_fails_with_its_tasks_and_the_run_goes_on(tmp_path: Path) -> None:
    (tmp_path / "test_hanging.py").write_text(HANGING)
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-c",
            os.devnull,
            "--rootdir",
            str(tmp_path),
            "-o",
            "asyncio_mode=auto",
            "--timeout=2",
            "-p",
            "tests.hang_dump",
            "test_hanging.py",
        ],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    output = done.stdout + done.stderr
    assert "1 failed, 1 passed" in output, output
    assert "event loop of thread MainThread" in output, output
    assert "in waits_for_nothing" in output, output  # the chain of awaits, not just the top
