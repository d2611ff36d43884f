"""A fanned-out result is encoded once and every message still reads as Strawberry's would."""

from __future__ import annotations

import json

from axonql.subscriptions import frames


def test_streamed_messages_decode_exactly_as_plain_json() -> None:
    encoded = frames.EncodedPayloads()
    data = {"logEntries": {"id": "evt_1", "payload": {"text": 'é "quoted"', "n": 1}}}
    for kind in ("next", "data"):
        for op_id in ("1", 'odd "id" ü'):
            message = {"id": op_id, "type": kind, "payload": {"data": data}}
            assert json.loads(encoded.frame(kind, op_id, data)) == message


def test_shared_data_is_encoded_once() -> None:
    encoded = frames.EncodedPayloads()
    data: dict[str, object] = {"x": 1}
    first = encoded.frame("next", "a", data)
    data["x"] = 2  # a shared result never changes; if it did, the first encoding would show
    second = encoded.frame("next", "b", data)
    assert json.loads(first)["payload"] == json.loads(second)["payload"] == {"data": {"x": 1}}
    assert json.loads(second)["id"] == "b"


def test_each_service_remembers_only_its_own_encodings() -> None:
    data: dict[str, object] = {"x": 1}
    first, second = frames.EncodedPayloads(), frames.EncodedPayloads()
    first.frame("next", "a", data)
    data["x"] = 2
    assert json.loads(second.frame("next", "a", data))["payload"] == {"data": {"x": 2}}
