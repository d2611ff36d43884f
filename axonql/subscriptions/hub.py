"""One instance's subscriber registry: bounded buffers, never-blocking fan-out.

`dispatch` runs in the feed's task and only ever does `put_nowait`: a subscriber whose buffer
is full is dropped from the registry and told why (its connection is closed), so one slow
client never delays the others.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from axonql.errors import SubscriberTooSlow
from axonql.models.event import Event
from axonql.subscriptions.filters import EventFilter

OverflowCallback = Callable[["Subscriber"], None]


@dataclass(eq=False)
class Subscriber:
    """One live subscription: its filter, a bounded buffer and where it stands.

    The buffer is a deque and one waiter future rather than an `asyncio.Queue`: a fan-out
    offers each event to every subscriber, and the queue's bookkeeping (unfinished-task
    counting, getter and putter lists) was a measurable share of each delivery.
    """

    where: EventFilter
    capacity: int
    on_overflow: OverflowCallback | None = None
    catching_up: bool = False
    live: bool = False  # its start point is read: it gets every event committed from now on
    overflowed: bool = False
    last_id: str | None = None
    buffer: deque[Event] = field(init=False, default_factory=deque)
    _waiter: asyncio.Future[None] | None = field(init=False, default=None)

    def offer(self, event: Event) -> bool:
        """Buffer `event` and wake the reader; False when the buffer is full."""
        if len(self.buffer) >= self.capacity:
            return False
        self.buffer.append(event)
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)
        return True

    def drain(self) -> None:
        """Forget buffered events and the overflow (the log will supply them again)."""
        self.buffer.clear()
        self.overflowed = False

    async def next(self) -> Event:
        """The next buffered event; after an overflow, SubscriberTooSlow once the buffer empties."""
        while not self.buffer:
            if self.overflowed:
                raise SubscriberTooSlow(
                    f"subscriber too slow: more than {self.capacity} events buffered;"
                    f" resume with after: {self.last_id}",
                    details={"after": self.last_id, "buffer": self.capacity},
                )
            waiter = self._waiter = asyncio.get_running_loop().create_future()
            try:
                await waiter
            finally:
                self._waiter = None
        return self.buffer.popleft()


class Hub:
    """Fans events out to this instance's matching subscribers."""

    def __init__(self) -> None:
        self._subscribers: set[Subscriber] = set()
        self.dispatched = 0
        self.overflows = 0

    def __len__(self) -> int:
        return len(self._subscribers)

    def live(self) -> int:
        """Subscribers past their start: an event committed now reaches each of them (one
        registered a moment ago may still be reading where it starts, and count it before)."""
        return sum(1 for subscriber in self._subscribers if subscriber.live)

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
            if not subscriber.offer(event):
                self._overflow(subscriber)

    def _overflow(self, subscriber: Subscriber) -> None:
        subscriber.overflowed = True
        if subscriber.catching_up:
            return  # still replaying from the log, which will hand it these events again
        self.overflows += 1
        self._subscribers.discard(subscriber)
        if subscriber.on_overflow is not None:
            subscriber.on_overflow(subscriber)
