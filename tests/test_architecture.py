"""The layers of ARCHITECTURE.md hold: imports point one way, and no module name is reused."""

from __future__ import annotations

import subprocess
import sys
from collections import defaultdict
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "axonql"
LAYERS = ("models", "subscriptions", "services", "resolvers", "schema", "rest_compat")


def test_imports_point_one_way() -> None:
    """import-linter's layers contract in pyproject.toml: models ← subscriptions ← services ←
    resolvers/schema ← the GraphQL endpoints ← rest_compat ← app ← cli."""
    lint = Path(sys.executable).with_name("lint-imports")
    done = subprocess.run(
        [str(lint), "--no-cache"], cwd=PACKAGE.parent, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 kept, 0 broken" in done.stdout, done.stdout


def test_no_two_layers_share_a_module_name() -> None:
    """`task.py` in two layers makes every import a guess at which one is meant."""
    homes: dict[str, list[str]] = defaultdict(list)
    for layer in LAYERS:
        for module in (PACKAGE / layer).rglob("*.py"):
            if module.name != "__init__.py":
                homes[module.stem].append(str(module.relative_to(PACKAGE)))
    shared = {
        name: paths for name, paths in homes.items() if len({p.split("/")[0] for p in paths}) > 1
    }
    assert shared == {}


def test_resolvers_hold_only_root_fields() -> None:
    """Every resolvers module is `<area>_fields.py` with the root classes of one area."""
    names = sorted(p.name for p in (PACKAGE / "resolvers").glob("*.py") if p.name != "__init__.py")
    assert names and all(name.endswith("_fields.py") for name in names), names
