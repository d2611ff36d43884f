"""Trusted documents: the manifest of the only operations a production server runs.

A build step (`axonql trusted-documents FILES...`) turns the client's `.graphql` files into
`{"<sha256>": "<document>"}`; `AXONQL_TRUSTED_DOCUMENTS` names that file. A client's link
hashes the document text it sends, so each entry is the operation printed as graphql-js
prints it, followed by the fragments it uses; `add_typename` applies the transform Apollo
Client's cache makes to every document it sends (a `__typename` in every selection set but
the operation's own), so the manifest's text is the text Apollo hashes.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    NameNode,
    Node,
    OperationDefinitionNode,
    SelectionSetNode,
    Source,
    Visitor,
    parse,
    print_ast,
    visit,
)

APOLLO_MANIFEST_FORMAT = "apollo-persisted-query-manifest"
_TYPENAME = FieldNode(name=NameNode(value="__typename"), arguments=(), directives=())


def document_hash(text: str) -> str:
    """The APQ hash of a document: SHA-256 of its UTF-8 text, lowercase hex."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class _AddTypename(Visitor):
    """Apollo Client's `addTypenameToDocument`, rule for rule."""

    def enter_selection_set(
        self, node: SelectionSetNode, _key: Any, parent: Any, *_: Any
    ) -> SelectionSetNode | None:
        if isinstance(parent, OperationDefinitionNode):
            return None
        for selection in node.selections:
            if isinstance(selection, FieldNode) and selection.name.value.startswith("__"):
                return None
        if isinstance(parent, FieldNode) and any(
            d.name.value == "export" for d in parent.directives or ()
        ):
            return None
        return SelectionSetNode(selections=(*node.selections, _TYPENAME))


def _spreads(node: Node) -> list[str]:
    names: list[str] = []

    class Collect(Visitor):
        def enter_fragment_spread(self, spread: FragmentSpreadNode, *_: Any) -> None:
            names.append(spread.name.value)

    visit(node, Collect())
    return names


def _used_fragments(
    operation: OperationDefinitionNode, fragments: dict[str, FragmentDefinitionNode]
) -> list[FragmentDefinitionNode]:
    """The fragments an operation spreads, directly or through other fragments."""
    seen: set[str] = set()
    pending = _spreads(operation)
    while pending:
        name = pending.pop(0)
        if name in seen:
            continue
        if name not in fragments:
            raise ValueError(f"fragment {name!r} is used but not defined in the given files")
        seen.add(name)
        pending.extend(_spreads(fragments[name]))
    return [fragment for name, fragment in fragments.items() if name in seen]


def build_manifest(
    sources: Iterable[str | Source], *, add_typename: bool = False
) -> dict[str, str]:
    """One entry per operation in `sources` (fragments may live in any of them)."""
    documents = [parse(source, no_location=True) for source in sources]
    operations: list[OperationDefinitionNode] = []
    fragments: dict[str, FragmentDefinitionNode] = {}
    for document in documents:
        for definition in document.definitions:
            if isinstance(definition, OperationDefinitionNode):
                operations.append(definition)
            elif isinstance(definition, FragmentDefinitionNode):
                fragments[definition.name.value] = definition
    manifest: dict[str, str] = {}
    for operation in operations:
        document = DocumentNode(definitions=(operation, *_used_fragments(operation, fragments)))
        if add_typename:
            document = visit(document, _AddTypename())
        text = print_ast(document)
        manifest[document_hash(text)] = text
    return manifest


def load_manifest(path: Path) -> dict[str, str]:
    """`{"<sha256>": "<document>"}` or Apollo's persisted query manifest; hashes checked.

    A wrong entry fails startup rather than refusing its operation in production.
    """
    data = json.loads(path.read_text(encoding="utf-8"))
    if isinstance(data, dict) and data.get("format") == APOLLO_MANIFEST_FORMAT:
        data = {op["id"]: op["body"] for op in data.get("operations", [])}
    if not isinstance(data, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in data.items()
    ):
        raise ValueError(f"{path}: a trusted documents manifest maps sha256 hashes to documents")
    manifest: dict[str, str] = {}
    for key, text in data.items():
        if document_hash(text) != key.lower():
            raise ValueError(f"{path}: {key} is not the sha256 of its document")
        manifest[key.lower()] = text
    return manifest
