"""Which event each streamed subscription result came from, for transports that label results.

Over SSE every `next` carries the AxonQL event id in its `id:` line, so a client that
reconnects can resume with `Last-Event-ID`, whether or not its selection asks for `id`. The
transport sets a `Tracker` for its operation's task; the subscription's stream notes each
event's id as it hands the event over (`schema.subscription`), in that task. graphql-core maps
one event to one result in order, so the id noted last is the one of the result the transport
receives next.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar


class Tracker:
    """The id of the event whose result is on its way; taken once per result."""

    __slots__ = ("pending",)

    def __init__(self) -> None:
        self.pending: str | None = None

    def take(self) -> str | None:
        """The event id of the result just received (None for one no event produced)."""
        found, self.pending = self.pending, None
        return found


_current: ContextVar[Tracker | None] = ContextVar("axonql_event_tracker", default=None)


@contextmanager
def tracking(tracker: Tracker) -> Iterator[None]:
    """Subscription events executed inside this block (in this task) are noted on `tracker`."""
    token = _current.set(tracker)
    try:
        yield
    finally:
        _current.reset(token)


def note(event_id: str) -> None:
    """Called by the stream for each event it hands over to be executed."""
    tracker = _current.get()
    if tracker is not None:
        tracker.pending = event_id
