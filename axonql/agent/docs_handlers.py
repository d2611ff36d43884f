"""OCTOSPINE documentation jobs: reference documents written from the server's own schema.

The agent reads the GraphQL schema by introspection (every type, its fields and their
descriptions), picks the types each target names (`services` → types whose name or
description mentions "service"), and writes one Markdown document per target. The counts the
job reports are real: documents written, types read.
"""

from __future__ import annotations

from typing import Any

from axonql.agent.client import Task
from axonql.agent.control import TaskControl
from axonql.agent.handlers import PermanentFailure, handler, labelled, step

INTROSPECT = """
query { __schema { types { name kind description
  fields { name description type { name kind ofType { name kind ofType { name } } } } } } }"""
MAX_DOCUMENT = 20_000


def _type_name(ref: dict[str, Any] | None) -> str:
    if not ref:
        return "?"
    inner = _type_name(ref.get("ofType")) if ref.get("ofType") else ""
    if ref.get("kind") == "NON_NULL":
        return f"{inner}!"
    if ref.get("kind") == "LIST":
        return f"[{inner}]"
    return str(ref.get("name") or inner)


def _stem(word: str) -> str:
    word = word.lower().strip()
    return word[:-1] if word.endswith("s") and len(word) > 3 else word


def _render(target: str, types: list[dict[str, Any]], examples: bool) -> str:
    lines = [f"# {target.title()} — API reference", ""]
    if not types:
        lines.append(f"No schema type mentions {target!r}.")
    for t in types:
        lines += [f"## {t['name']}", "", t.get("description") or "(no description)", ""]
        for f in t.get("fields") or []:
            lines.append(f"- `{f['name']}: {_type_name(f['type'])}` — {f.get('description') or ''}")
        if examples and t.get("fields"):
            names = " ".join(f["name"] for f in t["fields"][:5])
            lines += [
                "",
                "```graphql",
                f"{{ # a selection of {t['name']}",
                f"  {names}",
                "}",
                "```",
            ]
        lines.append("")
    return "\n".join(lines)[:MAX_DOCUMENT]


@handler("documentation")
async def documentation(ctx: TaskControl, task: Task) -> dict[str, Any]:
    """One Markdown reference per target, from the schema's types that mention it."""
    p = task.parameters
    targets = p.get("targets")
    if not isinstance(targets, list) or not targets:
        raise PermanentFailure("parameter targets must be a non-empty list")
    fmt = str(p.get("format") or "markdown")
    if fmt != "markdown":
        raise PermanentFailure("the reference documentation agent writes markdown only")
    data = await ctx.client.call(INTROSPECT)
    types = [
        t
        for t in data["__schema"]["types"]
        if not t["name"].startswith("__") and t["kind"] in ("OBJECT", "INPUT_OBJECT", "INTERFACE")
    ]
    documents = []
    for index, target in enumerate(targets, start=1):
        stem = _stem(str(target))
        chosen = [
            t
            for t in types
            if stem in t["name"].lower() or stem in (t.get("description") or "").lower()
        ]
        content = _render(str(target), chosen, bool(p.get("include_examples")))
        documents.append(
            {
                "title": f"{str(target).title()} API Reference",
                "type": str(p.get("type") or "api_reference"),
                "target": target,
                "types_documented": len(chosen),
                "content": content,
            }
        )
        await step(ctx, task, index, len(targets), f"documented {target}")
    return labelled(
        "documentation",
        {
            "documents_generated": len(documents),
            "files_processed": len(types),
            "format": fmt,
            "documents": documents,
        },
    )
