"""Garbage-collector settings for a process holding thousands of live subscriptions.

Each subscription keeps about 150 objects the cyclic collector tracks, and a fan-out has
every subscriber's delivery in flight at once. With CPython's default thresholds (700, 10, 10)
young collections run in the middle of fan-outs, promote those in-flight objects, and soon
trigger a full collection: at 1,000 subscribers that pauses the event loop for about 200 ms,
which every subscriber of that moment sees as latency (bench `fanout`, BENCHMARKS.md).

So: what exists after startup is frozen (never scanned again), and young collections run
after 20,000 allocations instead of 700, which leaves fewer in-flight objects to promote and
makes full collections rare. Cyclic garbage waits a little longer to be freed; memory
freed by reference counting (most of it) is unaffected.

The collector is the process's, not an app's: `axonql serve` applies this once it is serving
(cli.py); building or starting an app (tests run several in one process) leaves it alone.
"""

from __future__ import annotations

import gc

THRESHOLDS = (20_000, 20, 100)


def apply() -> None:
    """Freeze the startup heap and raise the collection thresholds (idempotent)."""
    gc.freeze()
    gc.set_threshold(*THRESHOLDS)
