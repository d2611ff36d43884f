"""Encodes a subscription event's result once, however many subscribers it goes to.

Subscribers running the same operation share one result object per event (see
`schema.shared_execution`), so the `payload` of their `next` (graphql-transport-ws) or `data`
(graphql-ws) messages is the same data object. Serialising it again for every subscriber was
the largest single cost of a fan-out; the encoded text is remembered by the identity of that
object and each message only adds its own id. The
protocol sinks (`graphql_ws`) write these frames; every other message is Strawberry's JSON.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from typing import Any


class EncodedPayloads:
    """The encoded `payload` of recent shared results, by the identity of their data (held
    here, so an id cannot be reused while remembered). One per real-time service."""

    def __init__(self, limit: int = 512) -> None:
        self.limit = limit
        self._encoded: OrderedDict[int, tuple[Any, str]] = OrderedDict()

    def text(self, data: Any) -> str:
        known = self._encoded.get(id(data))
        if known is not None and known[0] is data:
            return known[1]
        text = json.dumps({"data": data}, separators=(",", ":"))
        self._encoded[id(data)] = (data, text)
        if len(self._encoded) > self.limit:
            self._encoded.popitem(last=False)
        return text

    def frame(self, kind: str, operation_id: str, data: dict[str, Any]) -> str:
        """A `next` (graphql-transport-ws) or `data` (graphql-ws) message carrying only `data`."""
        return f'{{"id":{json.dumps(operation_id)},"type":"{kind}","payload":{self.text(data)}}}'
