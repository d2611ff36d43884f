"""Identifiers in the documented form: `task_…`, `agent_…`, `mem_…`."""

import secrets


def new_id(prefix: str) -> str:
    """A fresh id with a readable prefix and 96 random bits."""
    return f"{prefix}_{secrets.token_hex(12)}"
