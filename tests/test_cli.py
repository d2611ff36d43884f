"""The `axonql` command, run as a real process against the test database server."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from pymongo import AsyncMongoClient

from axonql.schema.root import build_schema
from axonql.services.auth import verify_password
from tests.support import own_database

ROOT = Path(__file__).resolve().parent.parent
CLI_DATABASE = own_database("axonql_cli_test")


def axonql(
    *args: str,
    mongo_url: str,
    data_dir: Path,
    stdin: str | None = None,
    timeout: float = 120,
    extra_env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """`python -m axonql.cli …` with its own database; no terminal, so prompts read stdin."""
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("AXONQL_")},
        "AXONQL_MONGODB_URL": mongo_url,
        "AXONQL_DATABASE": CLI_DATABASE,
        "AXONQL_DATA_DIR": str(data_dir),
        "COLUMNS": "120",
        **(extra_env or {}),
    }
    return subprocess.run(
        [sys.executable, "-m", "axonql.cli", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=timeout,
        start_new_session=True,
        check=False,
    )


@pytest.fixture
async def cli_db(mongo_url: str) -> AsyncIterator[Any]:
    """The CLI's database, empty before and after each test."""
    client: AsyncMongoClient[Any] = AsyncMongoClient(mongo_url, tz_aware=True)
    await client.drop_database(CLI_DATABASE)
    try:
        yield client[CLI_DATABASE]
    finally:
        await client.drop_database(CLI_DATABASE)
        await client.close()


async def counts(db: Any) -> dict[str, int]:
    return {name: await db[name].count_documents({}) for name in await db.list_collection_names()}


async def test_user_create_with_password_option_and_from_stdin(
    cli_db: Any, mongo_url: str, tmp_path: Path
) -> None:
    done = axonql(
        "user",
        "create",
        "alice",
        "--password",
        "alice-password",
        "--scope",
        "tasks:read",
        "--scope",
        "agents:read",
        mongo_url=mongo_url,
        data_dir=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert "created user" in done.stdout
    alice = await cli_db.users.find_one({"username": "alice"})
    assert alice["scopes"] == ["agents:read", "tasks:read"]
    assert verify_password(alice["password_hash"], "alice-password")

    done = axonql(
        "user",
        "create",
        "bob",
        "--admin",
        stdin="bob-password\n",
        mongo_url=mongo_url,
        data_dir=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    bob = await cli_db.users.find_one({"username": "bob"})
    assert verify_password(bob["password_hash"], "bob-password")
    assert "admin:system" in bob["scopes"]


async def test_user_create_refuses_bad_input_clearly(
    cli_db: Any, mongo_url: str, tmp_path: Path
) -> None:
    args = ("user", "create", "carol", "--password")
    short = axonql(*args, "short", mongo_url=mongo_url, data_dir=tmp_path)
    assert short.returncode != 0
    assert "password" in short.stderr + short.stdout
    assert "Traceback" not in short.stderr
    unknown = axonql(
        *args, "carol-password", "--scope", "root:all", mongo_url=mongo_url, data_dir=tmp_path
    )
    assert unknown.returncode != 0 and "Traceback" not in unknown.stderr
    assert "root:all" in unknown.stderr + unknown.stdout
    assert axonql(*args, "carol-password", mongo_url=mongo_url, data_dir=tmp_path).returncode == 0
    again = axonql(*args, "carol-password", mongo_url=mongo_url, data_dir=tmp_path)
    assert again.returncode != 0 and "taken" in again.stderr + again.stdout
    assert "Traceback" not in again.stderr
    assert await cli_db.users.count_documents({}) == 1


async def test_demo_is_idempotent_and_shows_progress(
    cli_db: Any, mongo_url: str, tmp_path: Path
) -> None:
    first = axonql("demo", mongo_url=mongo_url, data_dir=tmp_path)
    assert first.returncode == 0, first.stderr
    assert "demo data" in first.stdout
    assert "━" in first.stdout and "100%" in first.stdout, first.stdout  # the progress bar
    after_first = await counts(cli_db)
    for collection in ("systems", "agents", "tasks", "users", "populations", "memories"):
        assert after_first.get(collection, 0) > 0, (collection, after_first)
    # searchable as a search reads them: the words kept beside tasks and memories
    assert after_first["task_names"] == after_first["tasks"], after_first
    assert after_first["memory_terms"] == after_first["memories"], after_first
    second = axonql("demo", mongo_url=mongo_url, data_dir=tmp_path)
    assert second.returncode == 0, second.stderr
    after_second = await counts(cli_db)
    assert after_second == after_first


def test_export_schema_prints_the_sdl(tmp_path: Path) -> None:
    done = axonql("export-schema", mongo_url="mongodb://unused", data_dir=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == build_schema().as_str().strip()


def test_a_bad_configuration_is_reported_without_a_traceback(tmp_path: Path) -> None:
    production = axonql(
        "serve",
        mongo_url="mongodb://unused",
        data_dir=tmp_path,
        extra_env={"AXONQL_ENV": "production", "AXONQL_JWT_SECRET": ""},
        timeout=60,
    )
    assert production.returncode == 2
    assert "AXONQL_JWT_SECRET is required" in production.stderr
    assert "Traceback" not in production.stderr
    bad_port = axonql(
        "user",
        "create",
        "dave",
        "--password",
        "dave-password",
        mongo_url="mongodb://unused",
        data_dir=tmp_path,
        extra_env={"AXONQL_PORT": "not-a-port"},
    )
    assert bad_port.returncode == 2
    assert "port" in bad_port.stderr and "Traceback" not in bad_port.stderr
