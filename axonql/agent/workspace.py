"""What one agent process keeps between tasks: the model configuration it loaded, the model it
last trained, and where it saves models. Each Worker owns one; nothing is module-level."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


def default_model_dir() -> Path:
    return Path(tempfile.gettempdir()) / "axonql-agent-models"


@dataclass
class Workspace:
    """The reference agent's own state (there are no model weights on this machine)."""

    capabilities: list[str] = field(default_factory=list)
    agent_name: str = ""
    model_dir: Path = field(default_factory=default_model_dir)
    loaded: dict[str, Any] | None = None  # the configuration `/model/load` recorded
    trained: dict[str, Any] | None = None  # the reference trainer's last weights
