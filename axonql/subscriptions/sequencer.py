"""Puts events from a broadcast channel back into commit order, without gaps or repeats.

A channel may reorder events (two instances publish after their commits, in either order) or
lose some (a Redis reconnect). Sequence numbers say what should come next: an early event waits
in a small buffer, and a gap still open after `patience` is filled from the event log, where
every committed event already is (sequence numbers are allocated in the committing transaction).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from axonql.models.event import Event
from axonql.stopping import stop_task


class Sequencer:
    """Feeds `deliver` every event exactly once, in sequence order."""

    def __init__(self, deliver: Callable[[Event], None], patience: float = 0.2) -> None:
        self.deliver = deliver
        self.patience = patience
        self.next_seq: int | None = None
        self.pending: dict[int, Event] = {}
        self._filler: asyncio.Task[None] | None = None

    def accept(self, event: Event) -> None:
        """Take one event from the channel."""
        if self.next_seq is None:
            self.next_seq = event.seq
        if event.seq < self.next_seq or event.seq in self.pending:
            return  # delivered already
        self.pending[event.seq] = event
        self._flush()
        if self.pending and (self._filler is None or self._filler.done()):
            self._filler = asyncio.create_task(self._fill_gap())

    def _flush(self) -> None:
        while self.next_seq is not None and self.next_seq in self.pending:
            self.deliver(self.pending.pop(self.next_seq))
            self.next_seq += 1

    async def _fill_gap(self) -> None:
        await asyncio.sleep(self.patience)
        while self.pending and self.next_seq is not None:
            upto = min(self.pending)
            missing = (
                await Event.find({"seq": {"$gte": self.next_seq, "$lt": upto}})
                .sort("+seq")
                .to_list()
            )
            for event in missing:
                self.pending.setdefault(event.seq, event)
            for seq in sorted(s for s in self.pending if s <= upto):
                self.deliver(self.pending.pop(seq))
            self.next_seq = upto + 1  # numbers the log does not have were never committed
            self._flush()

    async def close(self) -> None:
        await stop_task(self._filler)
