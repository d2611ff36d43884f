"""Where graphql-core's subscription loop can be joined: one event stream, one event at a time.

Written against graphql-core==3.3.2 (pinned). graphql-core maps a subscription's event
stream to results in `map_source_to_response_event`: it wraps the stream with
`Executor.cancellable_iterable` (`:meta private:`), then for every event copies the executor
(`build_per_event_executor`) and runs the copy (`execute_operation(False)`). Overriding those
three methods relies on that call order, which graphql-core does not document; this module
does it once and offers two named seams instead:
- `stream_opened(stream)`: the subscription's event stream, as graphql-core takes it;
- `event_result(payload)`: the result of one event (default: graphql-core's own execution).
`execute_event(payload)` is graphql-core's execution of one event. Contract test:
`tests/test_adapters.py`.
"""

from __future__ import annotations

from collections.abc import AsyncIterable
from typing import Any, TypeVar

from axonql.adapters.strawberry_internals import StrawberryExecutionContext

T = TypeVar("T")


class _OneEvent:
    """What graphql-core gets for one event: executing it asks the executor for its result."""

    __slots__ = ("executor", "payload")

    def __init__(self, executor: EventExecutor, payload: Any) -> None:
        self.executor = executor
        self.payload = payload

    def execute_operation(self, serially: bool | None = None) -> Any:
        return self.executor.event_result(self.payload)


class EventExecutor(StrawberryExecutionContext):
    """Strawberry's executor, with seams into graphql-core's subscription event loop."""

    def stream_opened(self, stream: AsyncIterable[Any]) -> None:
        """Called with the subscription's event stream before graphql-core iterates it."""

    def event_result(self, payload: Any) -> Any:
        """The result (or an awaitable of it) of one subscription event."""
        return self.execute_event(payload)

    def execute_event(self, payload: Any) -> Any:
        """graphql-core's execution of one event: a copy of this executor, rooted at it."""
        return super().build_per_event_executor(payload).execute_operation(False)

    def cancellable_iterable(self, iterable: AsyncIterable[T]) -> AsyncIterable[T]:
        self.stream_opened(iterable)
        return super().cancellable_iterable(iterable)

    def build_per_event_executor(self, payload: Any) -> Any:
        # Copying the executor waits until the event's result is asked for: a shared result
        # needs no copy at all.
        return _OneEvent(self, payload)


__all__ = ["EventExecutor"]
