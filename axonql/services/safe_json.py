"""Hostile JSON, refused where it enters: one parser and one check for every boundary.

Python's `json` accepts what no later step can handle: a lone UTF-16 surrogate (`"\\ud800"`)
cannot be encoded as UTF-8 (so not sent to the database nor in a response), a NUL byte in an
object key cannot be a BSON key, and nesting a few thousand levels deep exhausts the
recursion of the parser and of everything that walks the value. `loads` parses any depth
without failing; `check` refuses all of these with a VALIDATION_ERROR naming where. With
`document=True` it also refuses keys MongoDB treats as operators or paths (`$…`, `a.b`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from axonql.errors import InvalidRequest, ValidationError, clip

DEFAULT_MAX_DEPTH = 64
INT64 = (-(2**63), 2**63 - 1)

# Put in place of what lies deeper than the parser can go: it holds a lone surrogate, so no
# check can ever accept it, and `check` reports it as nesting.
TOO_DEEP = "\udfff(nested too deeply)"
_TOO_DEEP_JSON = '"\\udfff(nested too deeply)"'
_TOKENS = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]', re.S)

_Path = tuple[Any, str | int] | None  # (parent path, key or index), linked to the root


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def loads(data: str | bytes, max_depth: int = DEFAULT_MAX_DEPTH) -> Any:
    """The JSON value of `data`; ValueError when it is not JSON (NaN and Infinity are not).

    Containers nested beyond what the parser's recursion allows are replaced by `TOO_DEEP`
    (from `max_depth` levels down), so the value parses and `check` names where it was.
    """
    try:
        return json.loads(data, parse_constant=_no_constant)
    except RecursionError:
        pass
    text = data.decode("utf-8") if isinstance(data, bytes) else data
    try:
        return json.loads(_cut_below(text, max_depth), parse_constant=_no_constant)
    except RecursionError:
        raise ValueError("JSON nested too deeply") from None


def _cut_below(text: str, max_depth: int) -> str:
    """`text` with every container opening `max_depth` levels down replaced by `TOO_DEEP`."""
    parts: list[str] = []
    depth = 0
    kept_to = 0
    cut_at: int | None = None
    for token in _TOKENS.finditer(text):
        symbol = token.group()
        if symbol[0] == '"':
            continue
        if symbol in "[{":
            depth += 1
            if depth == max_depth + 1 and cut_at is None:
                cut_at = token.start()
        else:
            if depth == max_depth + 1 and cut_at is not None:
                parts.append(text[kept_to:cut_at])
                parts.append(_TOO_DEEP_JSON)
                kept_to, cut_at = token.end(), None
            depth -= 1
    parts.append(text[kept_to:] if cut_at is None else text[kept_to:cut_at])
    return "".join(parts)


def is_text(text: str) -> bool:
    """Whether `text` is valid Unicode (no lone surrogate), so it can be encoded as UTF-8."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def where(root: str, path: _Path) -> str:
    """`root.key[3].key` for a linked path, printable and clipped for an error message."""
    steps: list[str | int] = []
    while path is not None:
        path, step = path
        steps.append(step)
    text = root
    for step in reversed(steps):
        if isinstance(step, int):
            text += f"[{step}]"
        else:
            text += f".{step}" if text else str(step)
    return clip(text or "value")


def check(
    root: str,
    value: Any,
    *,
    max_depth: int = DEFAULT_MAX_DEPTH,
    document: bool = False,
    dotted_keys: bool = False,
    int64: bool = False,
) -> None:
    """Refuse lone surrogates, NUL in keys and nesting beyond `max_depth` anywhere in `value`.

    `document`: the value becomes (part of) a stored document, so keys may not start with `$`
    or contain `.` (top-level keys may contain `.` with `dotted_keys`: config patches are
    paths). `int64`: integers must fit BSON's 64 bits. The error's field is the offending
    place, rooted at `root`.
    """
    stack: list[tuple[Any, int, _Path]] = [(value, 0, None)]
    while stack:
        item, depth, path = stack.pop()
        if isinstance(item, str):
            if item == TOO_DEEP:
                raise _nested(root, path, max_depth)
            if not is_text(item):
                raise _refused(root, path, "holds a lone UTF-16 surrogate (not valid Unicode)")
        elif isinstance(item, Mapping):
            if depth >= max_depth:
                raise _nested(root, path, max_depth)
            for key, child in item.items():
                name = str(key)
                here: _Path = (path, name)
                _check_key(root, here, name, document=document, dotted=dotted_keys and not depth)
                stack.append((child, depth + 1, here))
        elif isinstance(item, list | tuple):
            if depth >= max_depth:
                raise _nested(root, path, max_depth)
            stack.extend((child, depth + 1, (path, i)) for i, child in enumerate(item))
        elif (
            int64
            and isinstance(item, int)
            and not isinstance(item, bool)
            and not INT64[0] <= item <= INT64[1]
        ):
            raise _refused(root, path, "holds an integer beyond 64 bits")


def _check_key(root: str, path: _Path, key: str, *, document: bool, dotted: bool) -> None:
    if not is_text(key):
        raise _refused(root, path, "is a key with a lone UTF-16 surrogate (not valid Unicode)")
    if "\x00" in key:
        raise _refused(root, path, "is a key with a NUL character")
    if document and key.startswith("$"):
        raise _refused(root, path, "is a key starting with $, which cannot be stored")
    if document and not dotted and "." in key:
        raise _refused(root, path, "is a key containing '.', which cannot be stored")


def _refused(root: str, path: _Path, why: str) -> ValidationError:
    field = where(root, path)
    return ValidationError(f"{field} {why}", field=field)


def _nested(root: str, path: _Path, max_depth: int) -> ValidationError:
    field = where(root, path)
    return ValidationError(
        f"{field} is nested more than {max_depth} levels deep",
        field=field,
        details={"max_depth": max_depth},
    )


def check_operation(request: Mapping[str, Any], max_depth: int = DEFAULT_MAX_DEPTH) -> None:
    """A GraphQL request (`query`, `operationName`, `variables`, `extensions`), each part
    checked; a variable's problems are named from the variable (`input.parameters.k`).

    `operationName` must be a string (GraphQL over HTTP: 400), on every transport, before
    anything takes a list or an object for a name.
    """
    operation_name = request.get("operationName")
    if operation_name is not None and not isinstance(operation_name, str):
        raise InvalidRequest("operationName must be a string", field="operationName")
    for part in ("query", "operationName", "extensions"):
        check(part, request.get(part), max_depth=max_depth)
    variables = request.get("variables")
    if isinstance(variables, Mapping):
        for name, value in variables.items():
            _check_key("variables", (None, str(name)), str(name), document=False, dotted=False)
            check(str(name), value, max_depth=max_depth)
    else:
        check("variables", variables, max_depth=max_depth)
