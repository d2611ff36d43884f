"""GraphQL over HTTP for an agent, authenticated with its API key."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

TASK_FIELDS = "id name type status priority progress attempts parameters requiredCapabilities"


class ConnectionLost(Exception):
    """The server could not be reached or answered with a server error; try again later."""


class ApiError(Exception):
    """The server refused a request; `code` is its stable error code."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


@dataclass
class Task:
    """What a handler needs to know about the task it runs."""

    id: str
    name: str
    type: str
    status: str
    parameters: dict[str, Any]
    required_capabilities: list[str]
    attempts: int

    @classmethod
    def parse(cls, data: dict[str, Any]) -> Task:
        return cls(
            id=data["id"],
            name=data["name"],
            type=data["type"],
            status=data["status"],
            parameters=data.get("parameters") or {},
            required_capabilities=data.get("requiredCapabilities") or [],
            attempts=data.get("attempts", 0),
        )


class AgentClient:
    """The agent-facing mutations, one HTTP request each."""

    def __init__(self, url: str, api_key: str, *, timeout: float = 30.0) -> None:
        self.url = url.rstrip("/")
        if not self.url.endswith("/graphql"):
            self.url += "/graphql"
        self.api_key = api_key
        self._http = httpx.AsyncClient(
            timeout=timeout, headers={"Authorization": f"Bearer {api_key}"}
        )

    @property
    def ws_url(self) -> str:
        return "ws" + self.url.removeprefix("http")

    async def close(self) -> None:
        await self._http.aclose()

    async def call(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        """The `data` of one operation; ApiError for a refusal, ConnectionLost otherwise."""
        try:
            response = await self._http.post(
                self.url, json={"query": query, "variables": variables or {}}
            )
        except httpx.HTTPError as exc:
            raise ConnectionLost(str(exc) or type(exc).__name__) from exc
        if response.status_code >= 500 and not response.content.startswith(b"{"):
            raise ConnectionLost(f"server answered {response.status_code}")
        try:
            body = response.json()
        except ValueError as exc:
            raise ConnectionLost(f"unreadable answer ({response.status_code})") from exc
        errors = body.get("errors") or []
        if errors:
            first = errors[0]
            code = str((first.get("extensions") or {}).get("code", "ERROR"))
            if code in ("SERVICE_UNAVAILABLE", "INTERNAL_ERROR"):
                raise ConnectionLost(f"{code}: {first.get('message')}")
            raise ApiError(code, str(first.get("message", "")))
        data: dict[str, Any] = body.get("data") or {}
        return data

    async def heartbeat(self, capabilities: list[str] | None = None) -> dict[str, Any]:
        data = await self.call(
            "mutation($caps: [String!]) { agentHeartbeat(capabilities: $caps) "
            "{ id name status capabilities configuration { maxConcurrentTasks timeout } } }",
            {"caps": capabilities},
        )
        beat: dict[str, Any] = data["agentHeartbeat"]
        return beat

    async def claim(self, capabilities: list[str] | None, wait_seconds: float) -> Task | None:
        data = await self.call(
            "mutation($caps: [String!], $wait: Float!) { claimTask(capabilities: $caps, "
            f"waitSeconds: $wait) {{ {TASK_FIELDS} }} }}",
            {"caps": capabilities, "wait": wait_seconds},
        )
        raw = data.get("claimTask")
        return Task.parse(raw) if raw else None

    async def claim_many(
        self, limit: int, capabilities: list[str] | None, wait_seconds: float
    ) -> list[Task]:
        """Up to `limit` tasks at once (as many as the agent has room for)."""
        data = await self.call(
            "mutation($n: Int!, $caps: [String!], $wait: Float!) { claimTasks(limit: $n, "
            f"capabilities: $caps, waitSeconds: $wait) {{ {TASK_FIELDS} }} }}",
            {"n": limit, "caps": capabilities, "wait": wait_seconds},
        )
        return [Task.parse(raw) for raw in data.get("claimTasks") or []]

    async def report(
        self,
        task_id: str,
        progress: int,
        message: str | None = None,
        details: dict[str, Any] | None = None,
    ) -> str:
        """Progress (renews the lease); returns the task's status as the server sees it."""
        if details is None:
            data = await self.call(
                "mutation($id: ID!, $p: Int!, $m: String) "
                "{ reportProgress(id: $id, progress: $p, message: $m) { status } }",
                {"id": task_id, "p": progress, "m": message},
            )
        else:
            data = await self.call(
                "mutation($id: ID!, $p: Int!, $m: String, $d: JSON) "
                "{ reportProgress(id: $id, progress: $p, message: $m, details: $d) { status } }",
                {"id": task_id, "p": progress, "m": message, "d": details},
            )
        return str(data["reportProgress"]["status"])

    async def complete(self, task_id: str, result: dict[str, Any]) -> None:
        await self.call(
            "mutation($id: ID!, $r: JSON) { completeTask(id: $id, result: $r) { id } }",
            {"id": task_id, "r": result},
        )

    async def fail(self, task_id: str, error: str, *, retry: bool) -> None:
        await self.call(
            "mutation($id: ID!, $e: String!, $retry: Boolean!) "
            "{ failTask(id: $id, error: $e, retry: $retry) { id } }",
            {"id": task_id, "e": error[:2000], "retry": retry},
        )
