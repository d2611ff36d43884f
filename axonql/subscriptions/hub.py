"""One instance's subscriber registry: bounded buffers, never-blocking fan-out.

`dispatch` runs in the feed's task and only ever does `put_nowait`: a subscriber whose buffer
is full is dropped from the registry and told why (its connection is closed), so one slow
client never delays the others.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field

from axonql.errors import SubscriberTooSlow
from axonql.models.event import Event
from axonql.subscriptions.filters import EventFilter

OverflowCallback = Callable[["Subscriber"], None]


@dataclass(eq=False)
class Subscriber:
    """One live subscription: its filter, a bounded buffer and where it stands."""

    where: EventFilter
    capacity: int
    on_overflow: OverflowCallback | None = None
    catching_up: bool = False
    overflowed: bool = False
    last_id: str | None = None
    queue: asyncio.Queue[Event] = field(init=False)

    def __post_init__(self) -> None:
        self.queue = asyncio.Queue(maxsize=self.capacity)

    def drain(self) -> None:
        """Forget buffered events and the overflow (the log will supply them again)."""
        while not self.queue.empty():
            self.queue.get_nowait()
        self.overflowed = False

    async def next(self) -> Event:
        """The next buffered event; after an overflow, SubscriberTooSlow once the buffer empties."""
        if self.overflowed and self.queue.empty():
            raise SubscriberTooSlow(
                f"subscriber too slow: more than {self.capacity} events buffered;"
                f" resume with after: {self.last_id}",
                details={"after": self.last_id, "buffer": self.capacity},
            )
        return await self.queue.get()


class Hub:
    """Fans events out to this instance's matching subscribers."""

    def __init__(self) -> None:
        self._subscribers: set[Subscriber] = set()
        self.dispatched = 0
        self.overflows = 0

    def __len__(self) -> int:
        return len(self._subscribers)

    def register(
        self, where: EventFilter, capacity: int, on_overflow: OverflowCallback | None = None
    ) -> Subscriber:
        subscriber = Subscriber(where=where, capacity=capacity, on_overflow=on_overflow)
        self._subscribers.add(subscriber)
        return subscriber

    def unregister(self, subscriber: Subscriber) -> None:
        self._subscribers.discard(subscriber)

    def dispatch(self, event: Event) -> None:
        """Offer `event` to every matching subscriber without waiting for any of them."""
        self.dispatched += 1
        for subscriber in list(self._subscribers):
            if subscriber.overflowed or not subscriber.where.matches(event):
                continue
            try:
                subscriber.queue.put_nowait(event)
            except asyncio.QueueFull:
                self._overflow(subscriber)

    def _overflow(self, subscriber: Subscriber) -> None:
        subscriber.overflowed = True
        if subscriber.catching_up:
            return  # still replaying from the log, which will hand it these events again
        self.overflows += 1
        self._subscribers.discard(subscriber)
        if subscriber.on_overflow is not None:
            subscriber.on_overflow(subscriber)
