"""A running server collects garbage by the fan-out-friendly policy, not CPython's default."""

from __future__ import annotations

import gc

from axonql.subscriptions import gc_policy
from tests.support import RunningServer


async def test_started_server_applies_the_policy(server: RunningServer) -> None:
    assert gc.get_threshold() == gc_policy.THRESHOLDS != (700, 10, 10)
    assert gc.get_freeze_count() > 0  # the startup heap is out of the collector's reach
