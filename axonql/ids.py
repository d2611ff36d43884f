"""Identifiers in the documented form: `task_…`, `agent_…`, `mem_…`."""

import secrets

HEX_DIGITS = 24
"""Random hex digits after the prefix: ids are spread evenly, so a range of them is a sample
(`services/value_order`)."""


def new_id(prefix: str) -> str:
    """A fresh id with a readable prefix and 96 random bits."""
    return f"{prefix}_{secrets.token_hex(HEX_DIGITS // 2)}"
