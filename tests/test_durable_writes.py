"""An acknowledged write is meant to be durable: the embedded server syncs each commit to disk
and every client asks for a journaled majority."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest
from pydantic import ValidationError

from axonql.database import (
    SECANTUS_WRITE_CONCURRENCY,
    EmbeddedServer,
    make_client,
    suited_write_concurrency,
)
from axonql.settings import Settings
from tests.support import RunningServer


@pytest.fixture
def embedded(tmp_path: Path) -> Iterator[EmbeddedServer]:
    server = EmbeddedServer(tmp_path / "data")
    try:
        yield server
    finally:
        server.stop()


def server_pid(server: EmbeddedServer) -> int:
    pid = server.adopted_pid or (server.process.pid if server.process else None)
    assert pid is not None
    return pid


def test_the_server_writes_with_a_journaled_majority(server: RunningServer) -> None:
    client = server.app.state.axon.database.client
    assert client.write_concern.document == {"w": "majority", "j": True}


async def test_on_secantusdb_two_units_of_work_run_at_once(embedded: EmbeddedServer) -> None:
    url = await asyncio.to_thread(embedded.start)
    client = make_client(url, **embedded.credentials.client_options())
    try:
        assert await suited_write_concurrency(client) == SECANTUS_WRITE_CONCURRENCY == 2
    finally:
        await client.close()


def test_the_write_concern_is_a_number_or_majority() -> None:
    assert Settings(write_concern="2", write_journal=False).write_options == {
        "w": 2,
        "journal": False,
    }
    with pytest.raises(ValidationError):
        Settings(write_concern="all-of-them")


def test_an_embedded_server_started_without_sync_is_restarted_durable(
    embedded: EmbeddedServer,
) -> None:
    embedded.sync_on_commit = False
    embedded.start()
    fragile = server_pid(embedded)
    assert "--sync-on-commit" not in psutil.Process(fragile).cmdline()
    durable = EmbeddedServer(embedded.data_dir)  # its owner (this process) counts as gone
    try:
        durable.start()
        assert server_pid(durable) != fragile
        assert "--sync-on-commit" in psutil.Process(server_pid(durable)).cmdline()
    finally:
        durable.stop()
        embedded.owned = False
