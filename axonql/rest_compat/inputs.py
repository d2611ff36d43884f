"""From a request to GraphQL variables: read and type-check the documented body, then bind.

Unknown body fields are ignored and listed (see `ignored_header`), so a legacy client that
sends extra keys keeps working and a typo is still visible.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from starlette.requests import Request

from axonql.errors import AxonError, ValidationError, clip
from axonql.rest_compat import legacy_pagination as pagination
from axonql.rest_compat.route import Binding, Field, Inputs, Route, Var
from axonql.services import safe_json
from axonql.services import validation as v

_MISSING: Any = object()
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
_TYPE_CHECKS: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "object": (dict,),
    "array": (list,),
}
_TYPE_WORDS = {
    "string": "a string",
    "integer": "an integer",
    "number": "a number",
    "boolean": "true or false",
    "object": "an object",
    "array": "a list",
}


class BadRequest(AxonError):
    """A request the engine cannot read (malformed JSON, a body that is not an object)."""

    code = "INVALID_REQUEST"
    status = 400


def _type_ok(kind: str, value: Any) -> bool:
    if isinstance(value, bool) and kind != "boolean":
        return False
    return isinstance(value, _TYPE_CHECKS[kind])


def validate_body(spec: tuple[Field, ...], body: Mapping[str, Any]) -> list[str]:
    """Check documented fields' types and presence; return the names of unknown fields."""
    known = {f.name for f in spec}
    for f in spec:
        value = body.get(f.name)
        if value is None:
            if f.required:
                raise ValidationError(f"{f.name} is required", field=f.name)
            continue
        if not _type_ok(f.type, value):
            raise ValidationError(f"{f.name} must be {_TYPE_WORDS[f.type]}", field=f.name)
        if f.type == "array" and f.items:
            for item in value:
                if not _type_ok(f.items, item):
                    word = _TYPE_WORDS[f.items]
                    raise ValidationError(f"every {f.name} item must be {word}", field=f.name)
    return sorted(k for k in body if k not in known)


async def read_inputs(route: Route, request: Request) -> Inputs:
    """Path, query and (for POST/PUT) the JSON body, validated against the route's fields."""
    body: Any = {}
    if request.method in _BODY_METHODS:
        raw = await request.body()
        if raw.strip():
            max_depth = request.app.state.axon.settings.max_json_depth
            try:
                body = safe_json.loads(raw, max_depth)
            except ValueError as exc:
                raise BadRequest(f"the request body is not valid JSON: {clip(exc)}") from None
            if not isinstance(body, dict):
                raise BadRequest("the request body must be a JSON object")
            safe_json.check("", body, max_depth=max_depth)  # surrogates, NUL keys, depth
            for key, value in body.items():
                v.storable(str(key), value)
    ignored = validate_body(route.body, body) if route.body or body else []
    return Inputs(
        path=dict(request.path_params),
        query=dict(request.query_params),
        body=body,
        ignored=ignored,
    )


def ignored_header(names: list[str]) -> str:
    """Unknown field names as a header value: ASCII only (escaped), bounded in length."""
    text = ", ".join(n.encode("ascii", "backslashreplace").decode("ascii") for n in names)
    text = "".join(ch if 32 < ord(ch) < 127 or ch == " " else "?" for ch in text).strip()
    return text if len(text) <= 500 else text[:497] + "..."


def _lookup(source: str, inputs: Inputs, win: pagination.Window | None) -> Any:
    where, _, name = source.partition(".")
    if where == "path":
        return inputs.path.get(name)
    if where == "query":
        return inputs.query.get(name) if name else dict(inputs.query)
    if where == "body":
        return pagination.dig(inputs.body, name) if name else inputs.body
    if where == "page" and win is not None:
        return {"limit": win.limit, "offset": win.offset, "page": win.page, "size": win.limit}[name]
    raise ValueError(f"unknown variable source {source!r}")


def bind(binding: Binding, inputs: Inputs, win: pagination.Window | None) -> Any:
    """One binding's value, or `_MISSING` when the request does not supply it."""
    if isinstance(binding, Mapping):
        out = {}
        for key, sub in binding.items():
            value = bind(sub, inputs, win)
            if value is not _MISSING:
                out[key] = value
        return out
    var = Var(binding) if isinstance(binding, str) else binding
    if var.constant:
        return var.default
    value = _lookup(var.source, inputs, win)
    if value is None:
        return var.default if var.default is not None else _MISSING
    if var.convert is None:
        return value
    name = var.source.partition(".")[2] or var.source
    try:
        return var.convert(value)
    except ValidationError as exc:
        raise ValidationError(f"{name}: {exc.message}", field=name) from None


def variables(route: Route, inputs: Inputs, win: pagination.Window | None) -> dict[str, Any]:
    return {
        key: value
        for key, binding in route.variables.items()
        if (value := bind(binding, inputs, win)) is not _MISSING
    }
