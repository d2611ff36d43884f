"""Benchmarks: each module in this package registers a function with `@benchmark(name)`.

`python -m bench` (what `make bench` runs) imports every module here and runs them all;
`python -m bench fanout` runs one.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable

Benchmark = Callable[[], None]

REGISTRY: dict[str, Benchmark] = {}


def benchmark(name: str) -> Callable[[Benchmark], Benchmark]:
    """Register `function` as the benchmark called `name`."""

    def register(function: Benchmark) -> Benchmark:
        REGISTRY[name] = function
        return function

    return register


def discover() -> dict[str, Benchmark]:
    """Import every module of the package so each can register itself."""
    for module in pkgutil.iter_modules(__path__):
        if not module.name.startswith("_"):
            importlib.import_module(f"{__name__}.{module.name}")
    return dict(sorted(REGISTRY.items()))
