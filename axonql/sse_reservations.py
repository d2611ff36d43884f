"""Single-connection SSE reservations: one event stream carrying many operations' results.

graphql-sse's single connection mode reserves a stream with `PUT` (a token), opens it with a
`GET` carrying the token and runs operations posted with the token on it. A reservation lives
in one instance's memory (the stream and the requests that feed it reach the same instance),
their number is bounded, and one no stream has claimed within its time to live expires with
its operations stopped, so an abandoned `PUT` holds nothing for long.
"""

from __future__ import annotations

import asyncio
import secrets
from dataclasses import dataclass, field

from axonql.errors import RateLimitExceeded
from axonql.stopping import stop_task

OUTBOX_FRAMES = 64  # results waiting for the stream; then operations wait (back-pressure)


@dataclass(eq=False)
class Reservation:
    """A reserved stream: its operations' tasks and the frames they wait to have written."""

    token: str
    owner: str | None  # the subject who reserved it; only they may run operations on it
    outbox: asyncio.Queue[bytes | None] = field(
        default_factory=lambda: asyncio.Queue(OUTBOX_FRAMES)
    )
    operations: dict[str, asyncio.Task[None]] = field(default_factory=dict)
    connected: bool = False  # a stream has claimed it (only one ever may)
    closed: bool = False
    timer: asyncio.TimerHandle | None = None


class Reservations:
    """The reservations of one instance, at most `limit`, each unclaimed for at most `ttl`."""

    def __init__(self, limit: int, ttl: float) -> None:
        self.limit = limit
        self.ttl = ttl
        self._items: dict[str, Reservation] = {}
        self._closing: set[asyncio.Task[None]] = set()

    def __len__(self) -> int:
        return len(self._items)

    def reserve(self, owner: str | None) -> Reservation:
        if len(self._items) >= self.limit:
            raise RateLimitExceeded(
                "too many event streams are reserved; try again later",
                details={"max_reservations": self.limit},
            )
        token = secrets.token_urlsafe(32)
        reservation = Reservation(token=token, owner=owner)
        loop = asyncio.get_running_loop()
        reservation.timer = loop.call_later(self.ttl, self._expire, reservation)
        self._items[token] = reservation
        return reservation

    def find(self, token: str) -> Reservation | None:
        return self._items.get(token)

    def claim(self, reservation: Reservation) -> None:
        """A stream connected: the reservation now lives as long as that stream."""
        reservation.connected = True
        if reservation.timer is not None:
            reservation.timer.cancel()

    async def close(self, reservation: Reservation) -> None:
        """Forget the reservation and stop its operations, each until it has ended."""
        reservation.closed = True
        if reservation.timer is not None:
            reservation.timer.cancel()
        if self._items.get(reservation.token) is reservation:
            del self._items[reservation.token]
        tasks = list(reservation.operations.values())
        reservation.operations.clear()
        await asyncio.gather(*(stop_task(task) for task in tasks))

    async def close_all(self) -> None:
        await asyncio.gather(*(self.close(r) for r in list(self._items.values())))
        await asyncio.gather(*list(self._closing))

    def _expire(self, reservation: Reservation) -> None:
        if reservation.connected or reservation.closed:
            return
        chore = asyncio.get_running_loop().create_task(self.close(reservation))
        self._closing.add(chore)
        chore.add_done_callback(self._closing.discard)
