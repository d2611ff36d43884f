"""`bench/results.json`: each benchmark's headline figures, merged into one file per run.

The format is `{"name": {"value", "unit", "baseline", "ratio"}}`: the measured figure, its
unit, the baseline measured in the same run (or null) and value ÷ baseline.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results.json"


def figure(value: float, unit: str, baseline: float | None = None) -> dict[str, Any]:
    """One entry: rounded, with the ratio to the baseline when there is one."""
    return {
        "value": round(value, 2),
        "unit": unit,
        "baseline": round(baseline, 2) if baseline is not None else None,
        "ratio": round(value / baseline, 3) if baseline else None,
    }


def save(entries: dict[str, dict[str, Any]]) -> None:
    """Merge `entries` into `bench/results.json` (other benchmarks' figures are kept)."""
    try:
        current = json.loads(RESULTS.read_text())
    except (OSError, ValueError):
        current = {}
    if not isinstance(current, dict):
        current = {}
    current.update(entries)
    RESULTS.write_text(json.dumps(current, indent=2, sort_keys=True) + "\n")
