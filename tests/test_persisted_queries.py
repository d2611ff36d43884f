"""Automatic persisted queries (Apollo's protocol) and trusted documents, over real HTTP."""

from __future__ import annotations

import asyncio
import hashlib
import json
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from axonql import models
from axonql.app import create_app
from axonql.services.persisted_queries import QueryCache
from axonql.services.trusted_documents import build_manifest, load_manifest
from axonql.settings import Settings
from tests.support import RunningServer, error_codes, extra_server
from tests.test_subscriptions_node import NODE_DIR, node_or_skip
from tests.ws_client import LEGACY_WS, TRANSPORT_WS, RawSubscription

ROOT = Path(__file__).resolve().parent.parent


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def fresh_query() -> str:
    """A query no instance has seen (each instance's LRU outlives the per-test cleanup)."""
    return f"query Health{uuid.uuid4().hex} {{ health {{ status }} }}"


def apq(digest: str) -> dict[str, Any]:
    return {"persistedQuery": {"version": 1, "sha256Hash": digest}}


async def post(
    http: httpx.AsyncClient, digest: str, query: str | None = None, token: str | None = None
) -> httpx.Response:
    body: dict[str, Any] = {"extensions": apq(digest)}
    if query is not None:
        body["query"] = query
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return await http.post("/graphql", json=body, headers=headers)


async def get(http: httpx.AsyncClient, digest: str) -> httpx.Response:
    params = {"extensions": json.dumps(apq(digest))}
    return await http.get("/graphql", params=params, headers={"Accept": "application/json"})


def healthy(response: httpx.Response) -> bool:
    body = response.json()
    return response.status_code == 200 and body.get("data", {}).get("health", {}).get("status") in {
        "healthy",
        "ok",
        "degraded",
    }


async def test_unknown_hash_alone_asks_for_the_query(http: httpx.AsyncClient) -> None:
    response = await post(http, sha256(fresh_query()))
    assert response.status_code == 200  # what Apollo's and urql's links retry on
    error = response.json()["errors"][0]
    assert error["message"] == "PersistedQueryNotFound"
    assert error["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"


async def test_registered_query_then_runs_by_hash_over_post_and_get(
    http: httpx.AsyncClient,
) -> None:
    query = fresh_query()
    digest = sha256(query)
    registered = await post(http, digest, query)
    assert healthy(registered), registered.text
    stored = await models.PersistedQuery.get(digest)
    assert stored is not None and stored.query == query
    assert healthy(await post(http, digest)), "hash alone over POST"
    by_get = await get(http, digest)
    assert healthy(by_get), by_get.text
    assert by_get.json()["data"]["health"]["status"]


async def test_a_hash_that_is_not_the_querys_is_refused(http: httpx.AsyncClient) -> None:
    query = fresh_query()
    response = await post(http, sha256(query + " "), query)
    assert response.status_code == 400
    assert error_codes(response.json()) == ["INVALID_REQUEST"]
    assert await models.PersistedQuery.find_all().count() == 0
    for bad in ({"version": 2, "sha256Hash": sha256(query)}, {"version": 1, "sha256Hash": "x"}):
        refused = await http.post(
            "/graphql", json={"query": query, "extensions": {"persistedQuery": bad}}
        )
        assert refused.status_code == 400 and error_codes(refused.json()) == ["INVALID_REQUEST"]


async def test_a_query_that_does_not_validate_is_answered_but_not_stored(
    http: httpx.AsyncClient,
) -> None:
    for query in ("query { health { noSuchField } }", "query { health {"):
        response = await post(http, sha256(query), query)
        assert response.json()["errors"]
        assert await models.PersistedQuery.get(sha256(query)) is None


async def test_a_stored_mutation_does_not_run_over_get(http: httpx.AsyncClient) -> None:
    mutation = f'mutation M{uuid.uuid4().hex} {{ logout(refreshToken: "none") }}'
    await models.PersistedQuery(id=sha256(mutation), query=mutation).insert()
    response = await get(http, sha256(mutation))
    assert response.status_code in {400, 405}, response.text
    assert "data" not in response.json() or not response.json()["data"]


async def test_another_instance_runs_a_hash_registered_on_this_one(
    server: RunningServer, http: httpx.AsyncClient, settings: Settings
) -> None:
    query = fresh_query()
    assert healthy(await post(http, sha256(query), query))
    async with (
        extra_server(create_app(settings), server) as other,
        httpx.AsyncClient(base_url=other.url, timeout=30) as there,
    ):
        response = await get(there, sha256(query))
        assert healthy(response), response.text


def test_query_cache_keeps_the_most_recently_used() -> None:
    cache = QueryCache(2)
    cache.put("a", "A")
    cache.put("b", "B")
    assert cache.get("a") == "A"
    cache.put("c", "C")
    assert (len(cache), cache.get("b"), cache.get("a"), cache.get("c")) == (2, None, "A", "C")


LISTED = "query Listed { health { status } }"


@pytest.fixture
async def trusted_server(
    server: RunningServer, settings: Settings, tmp_path: Path
) -> AsyncIterator[RunningServer]:
    manifest = tmp_path / "trusted.json"
    manifest.write_text(json.dumps(build_manifest([LISTED])))
    trusted = settings.model_copy(update={"trusted_documents": manifest})
    async with extra_server(create_app(trusted), server) as running:
        yield running


async def test_trusted_documents_run_only_what_the_manifest_lists(
    trusted_server: RunningServer,
) -> None:
    listed = build_manifest([LISTED])
    [(digest, text)] = listed.items()
    async with httpx.AsyncClient(base_url=trusted_server.url, timeout=30) as http:
        assert healthy(await post(http, digest)), "listed hash alone"
        assert healthy(await get(http, digest))
        as_text = await http.post("/graphql", json={"query": text})
        assert healthy(as_text), as_text.text

        unlisted = fresh_query()
        for refused in (
            await http.post("/graphql", json={"query": unlisted}),
            await post(http, sha256(unlisted), unlisted),  # APQ registration
            await post(http, sha256(unlisted)),
        ):
            assert refused.status_code == 403, refused.text
            assert error_codes(refused.json()) == ["PERSISTED_QUERY_NOT_ALLOWED"]
        assert await models.PersistedQuery.find_all().count() == 0


@pytest.mark.parametrize("protocol", [TRANSPORT_WS, LEGACY_WS])
async def test_trusted_documents_hold_over_websockets(
    trusted_server: RunningServer, admin_token: str, protocol: str
) -> None:
    url = f"{trusted_server.ws_url}/graphql"
    if protocol == TRANSPORT_WS:  # graphql-ws carries subscriptions only
        [text] = build_manifest([LISTED]).values()  # the document as clients print it
        listed = await RawSubscription.open(url, admin_token, text, protocol=protocol)
        try:
            assert (await listed.next_data())["health"]["status"]
        finally:
            await listed.close()
    unlisted = await RawSubscription.open(
        url, admin_token, "subscription { events { id } }", protocol=protocol
    )
    try:
        message = await unlisted.next_message()
    finally:
        await unlisted.close()
    assert message["type"] == "error", message
    errors = message["payload"] if isinstance(message["payload"], list) else [message["payload"]]
    assert errors[0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_ALLOWED"


def test_a_manifest_entry_under_a_wrong_hash_fails_loading(tmp_path: Path) -> None:
    manifest = tmp_path / "bad.json"
    manifest.write_text(json.dumps({sha256("other"): LISTED}))
    with pytest.raises(ValueError, match="not the sha256"):
        load_manifest(manifest)
    apollo = tmp_path / "apollo.json"
    apollo.write_text(
        json.dumps(
            {
                "format": "apollo-persisted-query-manifest",
                "version": 1,
                "operations": [{"id": sha256(LISTED), "body": LISTED, "name": "Listed"}],
            }
        )
    )
    assert load_manifest(apollo) == {sha256(LISTED): LISTED}


def trusted_documents_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "axonql.cli", "trusted-documents", *args],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
        check=False,
    )


def test_cli_prints_one_entry_per_operation_with_its_fragments(tmp_path: Path) -> None:
    (tmp_path / "ops.graphql").write_text(
        'query Health { health { ...Versioned } }\nmutation Out { logout(refreshToken: "x") }\n'
    )
    (tmp_path / "fragments.graphql").write_text("fragment Versioned on HealthStatus { version }\n")
    files = [str(tmp_path / "ops.graphql"), str(tmp_path / "fragments.graphql")]
    done = trusted_documents_cli(*files)
    assert done.returncode == 0, done.stderr
    manifest = json.loads(done.stdout)
    assert all(sha256(text) == digest for digest, text in manifest.items())
    assert sorted(manifest.values()) == [
        'mutation Out {\n  logout(refreshToken: "x")\n}',
        "query Health {\n  health {\n    ...Versioned\n  }\n}\n\n"
        "fragment Versioned on HealthStatus {\n  version\n}",
    ]
    typed = json.loads(trusted_documents_cli("--add-typename", files[0], files[1]).stdout)
    assert "query Health {\n  health {\n    ...Versioned\n    __typename\n  }\n}" in "".join(
        typed.values()
    )

    (tmp_path / "broken.graphql").write_text("query { health {")
    failed = trusted_documents_cli(str(tmp_path / "broken.graphql"))
    assert failed.returncode == 1 and "broken.graphql" in failed.stderr
    assert "Traceback" not in failed.stderr


async def run_apollo(url: str, query: str) -> list[dict[str, Any]]:
    process = await asyncio.create_subprocess_exec(
        node_or_skip(),
        str(NODE_DIR / "apq.mjs"),
        f"{url}/graphql",
        "-",
        query,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 0, err.decode()
    return [json.loads(line) for line in out.decode().splitlines() if line.strip()]


async def test_apollo_clients_persisted_query_link(server: RunningServer) -> None:
    query = f"query Health{uuid.uuid4().hex} {{ health {{ status }} }}"
    lines = await run_apollo(server.url, query)
    results = [line["result"] for line in lines if "result" in line]
    assert len(results) == 2, lines
    assert all(r["health"]["status"] for r in results)
    requests = [line["request"] for line in lines if "request" in line]
    # Unknown hash by GET, then hash and query by POST; the second run, the hash alone by GET.
    assert [(r["method"], r["query"]) for r in requests] == [
        ("GET", False),
        ("POST", True),
        ("GET", False),
    ]
    digest = requests[0]["hash"]
    stored = await models.PersistedQuery.get(digest)
    assert stored is not None and sha256(stored.query) == digest


async def test_apollo_runs_trusted_documents_from_the_cli_manifest(
    server: RunningServer, settings: Settings, tmp_path: Path
) -> None:
    node_or_skip()
    (tmp_path / "app.graphql").write_text(LISTED)
    done = trusted_documents_cli("--add-typename", str(tmp_path / "app.graphql"))
    assert done.returncode == 0, done.stderr
    (tmp_path / "trusted.json").write_text(done.stdout)
    trusted = settings.model_copy(update={"trusted_documents": tmp_path / "trusted.json"})
    async with extra_server(create_app(trusted), server) as running:
        lines = await run_apollo(running.url, LISTED)
    assert [line["result"]["health"]["status"] for line in lines if "result" in line]
    requests = [line["request"] for line in lines if "request" in line]
    assert [(r["method"], r["query"]) for r in requests] == [("GET", False), ("GET", False)]
