"""The README stays true: every setting is documented, and so are the two commands."""

from __future__ import annotations

from pathlib import Path

from pydantic import AliasChoices

from axonql.settings import Settings

README = (Path(__file__).resolve().parent.parent / "README.md").read_text()


def environment_variable(name: str) -> str:
    """`AXONQL_<NAME>`, or the standard variable a setting reads instead (its first alias)."""
    alias = Settings.model_fields[name].validation_alias
    if isinstance(alias, AliasChoices) and isinstance(alias.choices[0], str):
        return alias.choices[0]
    return alias if isinstance(alias, str) else f"AXONQL_{name.upper()}"


def test_every_setting_is_documented() -> None:
    missing = [
        environment_variable(name)
        for name in Settings.model_fields
        if environment_variable(name) not in README
    ]
    assert missing == [], f"document these in README.md: {', '.join(missing)}"


def test_the_two_commands_are_documented() -> None:
    assert "make run" in README and "make test" in README
