"""The committed SDL (`schema.graphql`) is the schema the code builds; `make schema` renews it."""

from __future__ import annotations

from pathlib import Path

from axonql.schema.root import build_schema

SCHEMA_FILE = Path(__file__).resolve().parent.parent / "schema.graphql"


def test_schema_graphql_matches_the_code() -> None:
    assert SCHEMA_FILE.exists(), "schema.graphql is missing: run `make schema`"
    committed = SCHEMA_FILE.read_text().strip()
    built = build_schema().as_str().strip()
    assert committed == built, "schema.graphql is out of date: run `make schema` and commit it"
