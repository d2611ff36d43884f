"""A first run explains itself: start-up output says how to sign in, GraphiQL shows it."""

from __future__ import annotations

import asyncio
import re
import secrets
import time
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from graphql import build_schema as schema_from_sdl
from graphql import parse, validate

from axonql.first_run import DEFAULT_DOCUMENT
from axonql.schema.root import build_schema
from tests.processes import ServerProcess, database_client


@pytest.fixture(scope="module")
async def demo_server(
    mongo_url: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[ServerProcess]:
    """`axonql serve --demo`, as `make run` starts it."""
    database = f"axonql_first_run_{secrets.token_hex(4)}"
    server = ServerProcess(mongo_url, database, tmp_path_factory.mktemp("first-run"), demo=True)
    await server.start()
    try:
        yield server
    finally:
        server.stop()
        client = database_client(mongo_url)
        await client.drop_database(database)
        await client.close()


async def announcement(log: Path, timeout: float = 30) -> str:
    """The start-up output from its `AxonQL is ready.` line on."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        text = log.read_text(errors="replace")
        if "AxonQL is ready." in text and "Sign in now:" in text:
            return text[text.index("AxonQL is ready.") :]
        await asyncio.sleep(0.1)
    raise AssertionError(f"no sign-in help in the start-up output:\n{log.read_text()}")


async def test_start_up_output_ends_with_how_to_sign_in(demo_server: ServerProcess) -> None:
    output = await announcement(demo_server.log_path)
    assert f"GraphiQL:  http://127.0.0.1:{demo_server.port}/graphql" in output
    assert '"demo" (every scope)' in output and '"reader" (read-only)' in output
    assert 'password "axonql-demo"' in output
    link = re.search(r"Sign in now: (\S+)", output)
    assert link is not None, output
    document = parse_qs(urlsplit(link.group(1)).query)["q"][0]
    async with httpx.AsyncClient(timeout=30) as http:
        signed_in = await http.post(demo_server.url, json={"query": document})
        token = signed_in.json()["data"]["login"]["accessToken"]
        tasks = await http.post(
            demo_server.url,
            json={"query": DEFAULT_DOCUMENT, "operationName": "RecentTasks"},
            headers={"Authorization": f"Bearer {token}"},
        )
    assert "errors" not in tasks.json(), tasks.text
    assert tasks.json()["data"]["tasks"], "the demo data has tasks"


async def test_graphiql_opens_on_a_document_that_signs_in_reads_and_subscribes(
    demo_server: ServerProcess,
) -> None:
    async with httpx.AsyncClient(timeout=30) as http:
        page = await http.get(demo_server.url, headers={"Accept": "text/html"})
    assert page.status_code == 200
    assert "Welcome to GraphiQL" not in page.text
    assert "mutation SignIn" in page.text and "subscription TaskChanges" in page.text
    operations = parse(DEFAULT_DOCUMENT).definitions
    assert [op.operation.value for op in operations] == [  # type: ignore[attr-defined]
        "mutation",
        "query",
        "subscription",
    ]
    assert validate(schema_from_sdl(build_schema().as_str()), parse(DEFAULT_DOCUMENT)) == []
