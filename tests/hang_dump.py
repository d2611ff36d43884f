"""A per-test timeout that fires even when the event loop hangs, and shows what hung.

pytest-timeout's `signal` method raises its failure in whatever Python frame the main thread
happens to run. Under pytest-asyncio that is often a callback or another task's step (the
server's, a feed's, a client's): the task takes the exception as its own result, the alarm does
not fire twice, and a hung test hangs the run with nothing printed. So the timer here is a
watchdog thread. At the deadline it writes every thread's stack and every running event loop's
tasks (each with its chain of awaits) to the terminal, then cancels the task the main thread's
loop is running for pytest (the test or fixture step), so that test fails and the run goes on.
If the item has still not ended `GRACE_SECONDS` later (the loop itself is blocked, or the
cancellation was swallowed), the process exits with status 1, as pytest-timeout's `thread`
method does. The deadline is pytest-timeout's (`timeout` in pyproject.toml, `--timeout`,
`@pytest.mark.timeout`).
"""

from __future__ import annotations

import asyncio
import io
import os
import sys
import threading
import traceback
from types import FrameType
from typing import Any

import pytest

GRACE_SECONDS = 15.0
_TIMED_OUT = pytest.StashKey[str]()
_WATCHDOG = pytest.StashKey["_Watchdog"]()


def _loops_by_thread() -> dict[int, tuple[asyncio.AbstractEventLoop, asyncio.Future[Any] | None]]:
    """Each thread's running event loop, and the future its `run_until_complete` waits for."""
    found: dict[int, tuple[asyncio.AbstractEventLoop, asyncio.Future[Any] | None]] = {}
    for ident, top in sys._current_frames().items():
        frame: FrameType | None = top
        while frame is not None and frame.f_code.co_name != "run_forever":
            frame = frame.f_back
        if frame is None:
            continue
        loop = frame.f_locals.get("self")
        if not isinstance(loop, asyncio.AbstractEventLoop):
            continue
        caller = frame.f_back  # `run_until_complete(future)` calls `run_forever()`
        main = caller.f_locals.get("future") if caller is not None else None
        found[ident] = (loop, main if isinstance(main, asyncio.Future) else None)
    return found


def _await_chain(task: asyncio.Task[Any]) -> list[FrameType]:
    """The task's frames from its coroutine down the awaits (`print_stack` shows the top one)."""
    frames: list[FrameType] = []
    current: Any = task.get_coro()
    while current is not None and len(frames) < 100:
        frame = next(
            (
                getattr(current, attr)
                for attr in ("cr_frame", "ag_frame", "gi_frame")
                if getattr(current, attr, None) is not None
            ),
            None,
        )
        if frame is None:
            break
        frames.append(frame)
        current = next(
            (
                getattr(current, attr)
                for attr in ("cr_await", "ag_await", "gi_yieldfrom")
                if getattr(current, attr, None) is not None
            ),
            None,
        )
    return frames


def _all_tasks(loop: asyncio.AbstractEventLoop) -> list[asyncio.Task[Any]]:
    for _ in range(10):  # read from another thread: the set may change while it is copied
        try:
            return list(asyncio.all_tasks(loop))
        except RuntimeError:
            continue
    return []


def dump(title: str) -> str:
    """Every thread's stack, then every running loop's tasks, as text."""
    out = io.StringIO()
    names = {t.ident: t.name for t in threading.enumerate()}
    me = threading.get_ident()
    out.write(f"{'+' * 20} {title} {'+' * 20}\n")
    for ident, frame in sys._current_frames().items():
        if ident == me:
            continue
        out.write(f"--- thread {names.get(ident, '?')} ({ident}) ---\n")
        out.write("".join(traceback.format_stack(frame)))
    for ident, (loop, main) in _loops_by_thread().items():
        tasks = _all_tasks(loop)
        out.write(f"--- event loop of thread {names.get(ident, '?')}: {len(tasks)} tasks ---\n")
        for task in tasks:
            marker = " [the task pytest runs]" if task is main else ""
            out.write(f"* {task!r}{marker}\n")
            summary = traceback.StackSummary.extract(
                (frame, frame.f_lineno) for frame in _await_chain(task)
            )
            out.write("".join(summary.format()))
    return out.getvalue()


class _Watchdog:
    def __init__(self, item: pytest.Item, settings: Any) -> None:
        self.item = item
        self.settings = settings
        self.timeout = float(settings.timeout)
        self.ended = threading.Event()
        self.thread = threading.Thread(
            target=self._watch, name=f"hang-dump {item.nodeid}", daemon=True
        )

    def _watch(self) -> None:
        if self.ended.wait(self.timeout) or self._debugging():
            return
        text = dump(f"Timeout >{self.timeout:g}s in {self.item.nodeid}")
        self.item.stash[_TIMED_OUT] = text
        self._write(text)
        loop, future = _loops_by_thread().get(threading.main_thread().ident or 0, (None, None))
        if loop is not None and future is not None:
            reason = f"timeout: {self.item.nodeid} ran over {self.timeout:g}s"
            loop.call_soon_threadsafe(future.cancel, reason)
        if self.ended.wait(GRACE_SECONDS):
            return
        self._write(dump(f"Still hung {GRACE_SECONDS:g}s after cancelling: exiting"))
        os._exit(1)

    def _debugging(self) -> bool:
        """pytest-timeout's own rule: no timeout while a debugger is attached."""
        import pytest_timeout  # type: ignore[import-untyped]

        return not self.settings.disable_debugger_detection and bool(pytest_timeout.is_debugging())

    def _write(self, text: str) -> None:
        """To the terminal, past pytest's capture of the test's output."""
        capture: Any = self.item.config.pluginmanager.getplugin("capturemanager")
        try:
            if capture is not None:
                capture.suspend_global_capture(in_=False)
            self.item.config.get_terminal_writer().write("\n" + text, flush=True)
        finally:
            if capture is not None:
                capture.resume_global_capture()
            sys.stderr.flush()


@pytest.hookimpl(tryfirst=True)
def pytest_timeout_set_timer(item: pytest.Item, settings: Any) -> bool:
    """Replaces pytest-timeout's own timer (its hook runs only if none answers)."""
    watchdog = item.stash[_WATCHDOG] = _Watchdog(item, settings)
    watchdog.thread.start()
    return True


@pytest.hookimpl(tryfirst=True)
def pytest_timeout_cancel_timer(item: pytest.Item) -> bool:
    watchdog = item.stash.get(_WATCHDOG, None)
    if watchdog is not None:
        watchdog.ended.set()
        watchdog.thread.join()
    return True


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """The phase that ran over fails, whatever the cancellation did, and carries the dump."""
    report = yield
    text = item.stash.get(_TIMED_OUT, None)
    if text is not None:
        del item.stash[_TIMED_OUT]
        if not report.failed:
            report.outcome = "failed"
            report.longrepr = f"Timeout: {item.nodeid} ran over its limit"
        report.sections.append(("hang dump", text))
    return report
