"""A fanned-out result is encoded once and every message still reads as Strawberry's would."""

from __future__ import annotations

import json

from axonql.subscriptions import frames


def test_streamed_messages_decode_exactly_as_plain_json() -> None:
    data = {"logEntries": {"id": "evt_1", "payload": {"text": 'é "quoted"', "n": 1}}}
    for kind in ("next", "data"):
        for op_id in ("1", 'odd "id" ü'):
            message = {"id": op_id, "type": kind, "payload": {"data": data}}
            assert json.loads(frames.encode_message(message)) == message


def test_shared_data_is_encoded_once() -> None:
    data: dict[str, object] = {"x": 1}
    first = frames.encode_message({"id": "a", "type": "next", "payload": {"data": data}})
    data["x"] = 2  # a shared result never changes; if it did, the first encoding would show
    second = frames.encode_message({"id": "b", "type": "next", "payload": {"data": data}})
    assert json.loads(first)["payload"] == json.loads(second)["payload"] == {"data": {"x": 1}}
    assert json.loads(second)["id"] == "b"


def test_other_messages_are_encoded_in_full() -> None:
    with_errors = {
        "id": "1",
        "type": "next",
        "payload": {"data": None, "errors": [{"message": "no"}]},
    }
    for message in (
        with_errors,
        {"type": "connection_ack"},
        {"data": {"a": 1}},
        {"id": "1", "type": "complete"},
    ):
        assert json.loads(frames.encode_message(message)) == message
