"""Puts events from a feed into sequence order, without gaps or repeats.

Numbers are taken before their transactions commit (see `log`), so a change stream shows
events in commit order, which is not quite number order, and a broadcast channel may also
reorder or lose some (two instances publish after their commits; a Redis reconnect). Sequence
numbers say what should come next: an early event waits in a small buffer, and a gap still
open after `patience` is settled in the log (`log.settle`: its event if it committed, else a
void), so every event is delivered once, in number order, and no later than that.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from pymongo.errors import PyMongoError

from axonql.models.event import Event
from axonql.stopping import stop_task
from axonql.subscriptions import log

logger = logging.getLogger("axonql.subscriptions")

MARK_EVERY = 1.0  # seconds between records of how far this instance has settled the log


class Sequencer:
    """Feeds `deliver` every event exactly once, in sequence order (voids only settle)."""

    def __init__(self, deliver: Callable[[Event], None], patience: float = 0.2) -> None:
        self.deliver = deliver
        self.patience = patience
        self.next_seq: int | None = None
        self.pending: dict[int, Event] = {}
        self._filler: asyncio.Task[None] | None = None
        self._marker: asyncio.Task[None] | None = None
        self._marked: int | None = None  # numbers known settled: only once anchored

    def start_after(self, seq: int) -> None:
        """Deliver what is numbered after `seq` (a settled number: `log.last_seq()`)."""
        self.next_seq = seq + 1
        self._marked = seq
        for early in [n for n in self.pending if n <= seq]:
            del self.pending[early]

    def accept(self, event: Event) -> None:
        """Take one event from the feed."""
        if self.next_seq is None:
            self.next_seq = event.seq
        if event.seq < self.next_seq or event.seq in self.pending:
            return  # delivered already
        self.pending[event.seq] = event
        self._flush()
        if self.pending and (self._filler is None or self._filler.done()):
            self._filler = asyncio.create_task(self._fill_gap())

    def _release(self, event: Event) -> None:
        if event.type != log.VOID:
            self.deliver(event)

    def _flush(self) -> None:
        advanced = False
        while self.next_seq is not None and self.next_seq in self.pending:
            self._release(self.pending.pop(self.next_seq))
            self.next_seq += 1
            advanced = True
        if advanced and (self._marker is None or self._marker.done()):
            self._marker = asyncio.create_task(self._mark())

    async def _mark(self) -> None:
        """Record the settled point now and then, so `last_seq` has few numbers to check."""
        await asyncio.sleep(MARK_EVERY)
        if (
            self.next_seq is not None
            and self._marked is not None
            and self.next_seq - 1 > self._marked
        ):
            self._marked = self.next_seq - 1
            try:
                await log.mark_settled(self._marked)
            except PyMongoError as exc:  # a reader settles the numbers itself meanwhile
                logger.warning("cannot record the settled point: %s", exc)

    async def _fill_gap(self) -> None:
        while self.pending and self.next_seq is not None:
            gap = self.next_seq
            await asyncio.sleep(self.patience)
            if self.next_seq != gap:
                continue  # that gap filled by itself; give the next one its own patience
            upto = min(self.pending, default=self.next_seq)
            if upto <= self.next_seq:
                self._flush()
                continue
            try:
                settled = await log.settle(self.next_seq, upto - 1)
            except PyMongoError as exc:
                logger.warning("cannot settle events %d-%d yet: %s", self.next_seq, upto - 1, exc)
                continue
            for event in settled:
                if event.seq >= self.next_seq:  # (the feed may have moved on meanwhile)
                    self.pending.setdefault(event.seq, event)
            for seq in range(self.next_seq, upto):
                if seq in self.pending:
                    self._release(self.pending.pop(seq))
            self.next_seq = max(self.next_seq, upto)  # every number below is settled now
            self._flush()

    async def close(self) -> None:
        await stop_task(self._filler)
        await stop_task(self._marker)
