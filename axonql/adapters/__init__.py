"""Seams around third-party internals: one module per library whose private API AxonQL uses.

Each module names the exact version it was written against (pinned in pyproject.toml) and
the private names it relies on; nothing else in AxonQL touches those names. Each has a
contract test in `tests/test_adapters.py` that fails on an upgrade that breaks them. The
subscription fast path that rests on them can be switched off with
`AXONQL_DIRECT_DELIVERY=false` (Strawberry's standard path; see `graphql_ws`).
"""
