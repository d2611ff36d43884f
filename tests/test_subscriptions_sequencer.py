"""Broadcast channels may reorder or drop: the sequencer restores commit order from the log."""

from __future__ import annotations

import asyncio

from axonql.models.event import Event
from axonql.services.events import emit
from axonql.subscriptions.sequencer import Sequencer


async def test_reordered_repeated_and_lost_events_come_out_once_in_order() -> None:
    events = [await emit("LOG_ENTRY", {"n": n}) for n in range(6)]
    delivered: list[Event] = []
    sequencer = Sequencer(delivered.append, patience=0.05)
    try:
        for index in (0, 2, 1, 1, 0):  # 2 arrives before 1; 1 and 0 arrive twice
            sequencer.accept(events[index])
        assert [e.seq for e in delivered] == [e.seq for e in events[:3]]
        sequencer.accept(events[5])  # 3 and 4 never arrive on the channel
        assert len(delivered) == 3  # 5 waits for the gap
        async with asyncio.timeout(5):
            while len(delivered) < 6:
                await asyncio.sleep(0.01)
        assert [e.id for e in delivered] == [e.id for e in events]
        assert delivered[3].payload == {"n": 3}  # filled from the log
    finally:
        await sequencer.close()
