"""The embedded SecantusDB is private: a 0700 data dir, 0600 files, no entry without a password."""

from __future__ import annotations

import json
import os
import stat
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psutil
import pytest
from pymongo import MongoClient
from pymongo.errors import OperationFailure

from axonql.database import EmbeddedServer
from tests.support import DatabaseServer


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def modes_under(data_dir: Path) -> dict[str, int]:
    """Relative path → permission bits of everything in the data dir (itself as ".")."""
    found = {".": mode(data_dir)}
    for root, dirs, files in os.walk(data_dir):
        for name in dirs + files:
            path = Path(root) / name
            found[str(path.relative_to(data_dir))] = mode(path)
    return found


def assert_private(data_dir: Path) -> None:
    modes = modes_under(data_dir)
    assert modes["."] == 0o700
    for name in ("embedded.json", "secantus.log", "secantus-credentials.json", "db"):
        assert name in modes, sorted(modes)
    wrong = {
        name: oct(bits)
        for name, bits in modes.items()
        if bits != (0o700 if (data_dir / name).is_dir() else 0o600)
    }
    assert wrong == {}


def stranger(url: str) -> MongoClient[dict[str, Any]]:
    """A client that knows the port (anyone on the host can) but no password."""
    return MongoClient(url, serverSelectionTimeoutMS=5000)


def assert_refused(url: str) -> None:
    client = stranger(url)
    try:
        for attempt in (
            lambda: client.axonql.users.find_one(),
            lambda: client.axonql.api_keys.find_one(),
            lambda: client.list_database_names(),
            lambda: client.axonql.users.insert_one({"username": "intruder"}),
            lambda: client.admin.command("createUser", "intruder", pwd="x", roles=["root"]),
        ):
            with pytest.raises(OperationFailure) as refused:
                attempt()
            assert refused.value.code == 13  # Unauthorized
    finally:
        client.close()


def owner_client(server: EmbeddedServer) -> MongoClient[dict[str, Any]]:
    return MongoClient(
        server.url, serverSelectionTimeoutMS=30000, **server.credentials.client_options()
    )


@pytest.fixture
def embedded(tmp_path: Path) -> Iterator[EmbeddedServer]:
    server = EmbeddedServer(tmp_path / "data")
    try:
        yield server
    finally:
        server.stop()


def test_a_fresh_embedded_database_is_private(embedded: EmbeddedServer) -> None:
    url = embedded.start()
    owner = owner_client(embedded)
    try:
        owner.axonql.users.insert_one({"_id": "user_1", "username": "alice"})
        assert_private(embedded.data_dir)
        state = (embedded.data_dir / "embedded.json").read_text()
        password = embedded.credentials.password
        assert len(password) >= 32 and password not in state and password not in url
        assert embedded.process is not None
        assert password not in " ".join(psutil.Process(embedded.process.pid).cmdline())
        stored = json.loads((embedded.data_dir / "secantus-credentials.json").read_text())
        assert stored["password"] == password
        assert_refused(url)
        assert owner.axonql.users.find_one({"_id": "user_1"}) == {
            "_id": "user_1",
            "username": "alice",
        }
    finally:
        owner.close()


def test_the_owner_still_has_change_streams_and_transactions(embedded: EmbeddedServer) -> None:
    embedded.start()
    owner = owner_client(embedded)
    try:
        events = owner.axonql.events
        events.insert_one({"_id": "before"})  # the collection exists before the stream opens

        def write_later() -> None:
            time.sleep(0.5)
            with owner.start_session() as session, session.start_transaction():
                owner.axonql.tasks.insert_one({"_id": "task_1"}, session=session)
                events.insert_one({"_id": "event_1", "task_id": "task_1"}, session=session)

        writer = threading.Thread(target=write_later)
        with events.watch(max_await_time_ms=5000) as stream:
            writer.start()
            change = stream.next()
        writer.join()
        assert change["operationType"] == "insert"
        assert change["fullDocument"] == {"_id": "event_1", "task_id": "task_1"}
        assert owner.axonql.tasks.find_one({"_id": "task_1"}) == {"_id": "task_1"}
    finally:
        owner.close()


def test_a_data_dir_from_before_is_locked_down_and_its_data_kept(
    embedded: EmbeddedServer,
) -> None:
    """A data dir an older AxonQL left world-readable and unauthenticated."""
    data_dir = embedded.data_dir
    data_dir.mkdir(mode=0o755)
    data_dir.chmod(0o755)
    old = DatabaseServer(storage=str(data_dir / "db")).start()
    try:
        plain: MongoClient[dict[str, Any]] = MongoClient(old.url, serverSelectionTimeoutMS=5000)
        plain.axonql.api_keys.insert_one({"_id": "key_1", "hash": "h"})
        plain.close()
    finally:
        old.stop()
    (data_dir / "embedded.json").write_text(json.dumps({"pid": 0, "url": old.url, "owner": 0}))
    (data_dir / "jwt-secret").write_text("development-secret")
    for path in [data_dir / "db", *data_dir.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)

    url = embedded.start()
    owner = owner_client(embedded)
    try:
        assert owner.axonql.api_keys.find_one() == {"_id": "key_1", "hash": "h"}
        assert_private(data_dir)
        assert mode(data_dir / "jwt-secret") == 0o600
        assert_refused(url)
    finally:
        owner.close()
