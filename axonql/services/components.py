"""A system's components: one definition of which states count as inactive.

SynapticOS counts a system's active components and OCTOSPINE its stopped applications; both
read this set, so a component is never active for one API and stopped for another.
"""

from __future__ import annotations

from collections.abc import Iterable

INACTIVE_STATES = frozenset({"offline", "stopped", "failed", "disabled", "inactive", "unhealthy"})


def is_active(state: str) -> bool:
    return state.lower() not in INACTIVE_STATES


def active_count(states: Iterable[str]) -> int:
    return sum(1 for state in states if is_active(state))
