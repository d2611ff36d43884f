"""The REST layer's pure parts: converters, paging, envelopes, body checks, bindings."""

from __future__ import annotations

import pytest

from axonql.errors import ValidationError
from axonql.rest_compat import converters as c
from axonql.rest_compat import legacy_pagination as pagination
from axonql.rest_compat.engine import lower_at
from axonql.rest_compat.envelopes import ENVELOPES, Failure
from axonql.rest_compat.inputs import bind, ignored_header, validate_body
from axonql.rest_compat.route import Field, Inputs, Pagination, Var, const
from axonql.services.validation import storable


def test_names_and_scalars() -> None:
    assert c.camel("max_concurrent_tasks") == "maxConcurrentTasks"
    assert c.snake("createdAt") == "created_at"
    assert c.upper("high") == "HIGH"
    assert c.to_int("10") == 10
    assert c.to_str(300) == "300"
    assert c.to_bool("false") is False
    for bad in ("ten", "1e3", True, ""):
        with pytest.raises(ValidationError):
            c.to_int(bad)
    with pytest.raises(ValidationError):
        c.to_str({"a": 1})


def test_fields_and_alias() -> None:
    schedule = c.fields(type=c.upper, value=c.to_str)
    assert schedule({"type": "interval", "value": 300, "extra": 1}) == {
        "type": "INTERVAL",
        "value": "300",
    }
    status = c.alias({"active": ["QUEUED", "RUNNING"]}, c.upper)
    assert status("Active") == ["QUEUED", "RUNNING"]
    assert status("running") == "RUNNING"


def test_body_types_and_unknown_fields() -> None:
    spec = (Field("name", required=True), Field("tags", "array", items="string"))
    assert validate_body(spec, {"name": "x", "zz": 1, "aa": 2}) == ["aa", "zz"]
    with pytest.raises(ValidationError, match="name is required"):
        validate_body(spec, {})
    with pytest.raises(ValidationError, match="must be a string"):
        validate_body(spec, {"name": 5})
    with pytest.raises(ValidationError, match="every tags item"):
        validate_body(spec, {"name": "x", "tags": [1]})
    with pytest.raises(ValidationError, match="integer"):
        validate_body((Field("n", "integer"),), {"n": True})
    assert ignored_header(["ok", "\x01bad\u00fc"]) == "ok, ?bad\\xfc"


def test_bindings() -> None:
    inputs = Inputs(path={"id": "t1"}, query={"limit": "5"}, body={"a": {"b": 2}})
    win = pagination.Window(limit=5, offset=10, page=3)
    binding = {
        "id": "path.id",
        "limit": Var("query.limit", c.to_int),
        "deep": "body.a.b",
        "missing": "body.nope",
        "fixed": const("X"),
        "page": {"offset": "page.offset", "page": "page.page"},
    }
    assert bind(binding, inputs, win) == {
        "id": "t1",
        "limit": 5,
        "deep": 2,
        "fixed": "X",
        "page": {"offset": 10, "page": 3},
    }
    with pytest.raises(ValidationError) as caught:
        bind({"n": Var("query.limit", c.to_bool)}, inputs, win)
    assert caught.value.field == "limit"


def test_paging() -> None:
    octo = Pagination("limit_offset", items="tasks", total="count.totalCount")
    win = pagination.window(octo, {"limit": "2", "offset": "4"})
    body, headers = pagination.apply(
        octo, win, {"tasks": [1], "count": {"totalCount": 5}, "other": 1}
    )
    assert body == {
        "tasks": [1],
        "other": 1,
        "pagination": {"total": 5, "limit": 2, "offset": 4, "has_more": False},
    }
    assert headers == {}
    drift = Pagination("page_size", items="events", total="page_info.total", default_size=50)
    win = pagination.window(drift, {"page": "2", "size": "3"})
    assert (win.limit, win.offset) == (3, 3)
    body, headers = pagination.apply(drift, win, {"events": [1, 2, 3], "page_info": {"total": 7}})
    assert body["total_count"] == 7
    assert headers == {
        "X-Total-Count": "7",
        "X-Page-Count": "3",
        "X-Current-Page": "2",
        "X-Page-Size": "3",
    }
    for bad in ({"size": "0"}, {"size": "101"}, {"page": "x"}):
        with pytest.raises(ValidationError):
            pagination.window(drift, bad)


def test_lower_at() -> None:
    data = {"status": "RUNNING", "tasks": [{"status": "QUEUED"}, {"status": None}]}
    lower_at(data, "status")
    lower_at(data, "tasks[].status")
    lower_at(data, "absent.path")
    assert data == {"status": "running", "tasks": [{"status": "queued"}, {"status": None}]}


def test_error_envelopes() -> None:
    failure = Failure(422, "VALIDATION_ERROR", "name must be a string", {"field": "name"})
    status, body = ENVELOPES["octospine"].error(failure, "req_1")
    assert status == 400
    assert body["success"] is False and body["request_id"] == "req_1"
    status, body = ENVELOPES["nexusnet"].error(failure, "req_1")
    assert (status, body["error"]["code"]) == (422, "INVALID_INPUT")
    status, body = ENVELOPES["lukhas"].error(Failure(401, "AUTHENTICATION_FAILED", "x"), "r")
    assert (status, body["error"]["code"], body["error"]["trace_id"]) == (401, "INVALID_TOKEN", "r")
    status, body = ENVELOPES["drift"].error(Failure(404, "RESOURCE_NOT_FOUND", "gone"), "r")
    assert body == {
        "error": "gone",
        "detail": "RESOURCE_NOT_FOUND",
        "status_code": 404,
        "timestamp": body["timestamp"],
    }
    status, body = ENVELOPES["synapticos"].error(
        Failure(429, "RATE_LIMIT_EXCEEDED", "slow down", {"retry_after": 30}), "r"
    )
    assert (status, body["error"]["retry_after"]) == (429, 30)
    ok = ENVELOPES["octospine"].success({"a": 1}, message="done", request_id="req_2")
    assert set(ok) == {"success", "data", "message", "timestamp", "request_id"}
    assert ok["timestamp"].endswith("Z")


def test_bodies_mongodb_cannot_store_are_refused() -> None:
    storable("a", {"b": [2**63 - 1, -(2**63)]})
    with pytest.raises(ValidationError) as caught:
        storable("meta", {"x": [1, 2**64]})
    assert caught.value.field == "meta"
    deep: dict[str, object] = {}
    node = deep
    for _ in range(40):
        node["n"] = {}
        node = node["n"]  # type: ignore[assignment]
    with pytest.raises(ValidationError, match="nested"):
        storable("deep", deep)


def test_agent_timeouts_in_each_api() -> None:
    timeout = Failure(504, "TIMEOUT", "no agent answered in 30 s")
    assert ENVELOPES["lukhas"].error(timeout, "r")[0] == 504
    assert ENVELOPES["lukhas"].error(timeout, "r")[1]["error"]["code"] == "MODULE_TIMEOUT"
    # NexusNet documents no 504 either: SERVICE_UNAVAILABLE, its code for 503.
    assert ENVELOPES["nexusnet"].error(timeout, "r")[0] == 503
    assert ENVELOPES["nexusnet"].error(timeout, "r")[1]["error"]["code"] == "SERVICE_UNAVAILABLE"
    # OCTOSPINE and SynapticOS document no 504: the nearest documented status is 503.
    assert ENVELOPES["octospine"].error(timeout, "r")[0] == 503
    assert ENVELOPES["synapticos"].error(timeout, "r")[0] == 503
    assert ENVELOPES["drift"].error(timeout, "r")[1]["status_code"] == 504
