"""A fanned-out result is encoded once and every message still reads as Strawberry's would."""

from __future__ import annotations

import json

from axonql.subscriptions import frames


def test_streamed_messages_decode_exactly_as_plain_json() -> None:
    data = {"logEntries": {"id": "evt_1", "payload": {"text": 'é "quoted"', "n": 1}}}
    for kind in ("next", "data"):
        for op_id in ("1", 'odd "id" ü'):
            message = {"id": op_id, "type": kind, "payload": {"data": data}}
            assert json.loads(frames.streamed_frame(kind, op_id, data)) == message


def test_shared_data_is_encoded_once() -> None:
    data: dict[str, object] = {"x": 1}
    first = frames.streamed_frame("next", "a", data)
    data["x"] = 2  # a shared result never changes; if it did, the first encoding would show
    second = frames.streamed_frame("next", "b", data)
    assert json.loads(first)["payload"] == json.loads(second)["payload"] == {"data": {"x": 1}}
    assert json.loads(second)["id"] == "b"
