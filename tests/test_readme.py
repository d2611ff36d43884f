"""The README stays true: every setting is documented, and so are the two commands."""

from __future__ import annotations

from pathlib import Path

from axonql.settings import Settings

README = (Path(__file__).resolve().parent.parent / "README.md").read_text()


def test_every_setting_is_documented() -> None:
    missing = [
        f"AXONQL_{name.upper()}"
        for name in Settings.model_fields
        if f"AXONQL_{name.upper()}" not in README
    ]
    assert missing == [], f"document these in README.md: {', '.join(missing)}"


def test_the_two_commands_are_documented() -> None:
    assert "make run" in README and "make test" in README
