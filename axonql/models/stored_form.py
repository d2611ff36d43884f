"""A document as the database would hand it back, made without reading it.

A unit of work that has just written a document (inserted it, or updated one it read in the
same transaction) already knows what is stored; reading it again cost one round trip per
write. BSON keeps milliseconds and the client's codec options decide the rest, so passing the
document through them gives exactly what a read would.
"""

from __future__ import annotations

import copy
from typing import Any

import bson
from bson.codec_options import CodecOptions
from pydantic import BaseModel


def as_stored(document: dict[str, Any], options: CodecOptions[Any]) -> dict[str, Any]:
    """`document` encoded and decoded as the database round trip would."""
    decoded: dict[str, Any] = bson.decode(
        bson.encode(document, codec_options=options), codec_options=options
    )
    return decoded


def model_as_stored(model: BaseModel, options: CodecOptions[Any]) -> dict[str, Any]:
    """A model (a Beanie document) as its stored form (`_id` and all)."""
    return as_stored(model.model_dump(by_alias=True), options)


def _parent(document: dict[str, Any], path: str) -> tuple[dict[str, Any], str] | None:
    *walk, last = path.split(".")
    here = document
    for key in walk:
        below = here.setdefault(key, {})
        if not isinstance(below, dict):
            return None  # an array index or a scalar on the way: not worked out here
        here = below
    return here, last


def updated(
    before: dict[str, Any], update: dict[str, Any], options: CodecOptions[Any]
) -> dict[str, Any] | None:
    """`before` with `update` applied, for `$set` and `$inc` on plain paths; None for anything
    else (the caller reads the document instead)."""
    if not set(update) <= {"$set", "$inc"}:
        return None
    after = copy.deepcopy(before)
    for path, value in update.get("$set", {}).items():
        found = _parent(after, path)
        if found is None:
            return None
        found[0][found[1]] = value
    for path, by in update.get("$inc", {}).items():
        found = _parent(after, path)
        if found is None:
            return None
        here, key = found
        current = here.get(key, 0)
        if not isinstance(current, int | float) or isinstance(current, bool):
            return None
        here[key] = current + by
    return as_stored(after, options)
