"""OpenAPI 3 for the REST layer, generated from the route tables, and a CDN-free docs page."""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from typing import Any

from axonql.rest_compat.route import Api, Field, Route

OPENAPI_VERSION = "3.0.3"
_ERROR_STATUSES = (400, 401, 403, 404, 409, 422, 429, 503, 504)
_OPERATION_NAME = re.compile(r"(?:query|mutation)\s+(\w+)")


def _schema(f: Field) -> dict[str, Any]:
    out: dict[str, Any] = {"type": f.type}
    if f.type == "array":
        out["items"] = {"type": f.items} if f.items else {}
    if f.description:
        out["description"] = f.description
    return out


def _error_schema(api: Api) -> dict[str, Any]:
    if api.name == "drift":
        return {
            "type": "object",
            "required": ["error", "detail", "status_code", "timestamp"],
            "properties": {
                "error": {"type": "string"},
                "detail": {"type": "string"},
                "status_code": {"type": "integer"},
                "timestamp": {"type": "string"},
            },
        }
    inner = {
        "type": "object",
        "required": ["code", "message"],
        "properties": {"code": {"type": "string"}, "message": {"type": "string"}},
    }
    if api.name == "octospine":
        return {
            "type": "object",
            "required": ["success", "error", "timestamp", "request_id"],
            "properties": {
                "success": {"type": "boolean", "enum": [False]},
                "error": inner,
                "timestamp": {"type": "string"},
                "request_id": {"type": "string"},
            },
        }
    return {"type": "object", "required": ["error"], "properties": {"error": inner}}


def _success_schema(api: Api) -> dict[str, Any]:
    if api.name == "octospine":
        return {
            "type": "object",
            "required": ["success", "data", "message", "timestamp", "request_id"],
            "properties": {
                "success": {"type": "boolean", "enum": [True]},
                "data": {},
                "message": {"type": "string"},
                "timestamp": {"type": "string"},
                "request_id": {"type": "string"},
            },
        }
    return {}


def operation_name(route: Route) -> str:
    found = _OPERATION_NAME.search(route.operation)
    return found.group(1) if found else ""


def _operation(api: Api, route: Route) -> dict[str, Any]:
    params: list[dict[str, Any]] = [
        {"name": p, "in": "path", "required": True, "schema": {"type": "string"}}
        for p in route.path_params
    ]
    params += [
        {"name": f.name, "in": "query", "required": f.required, "schema": _schema(f)}
        for f in route.params
    ]
    error_ref = {"$ref": f"#/components/schemas/{api.name}_error"}
    responses: dict[str, Any] = {
        str(route.status): {
            "description": route.message,
            "content": {"application/json": {"schema": _success_schema(api)}},
        }
    }
    if route.respond_async is not None:
        params.append(
            {
                "name": "Prefer",
                "in": "header",
                "required": False,
                "description": "`respond-async`: answer 202 at once with the task to follow",
                "schema": {"type": "string"},
            }
        )
        responses["202"] = {
            "description": "accepted (Prefer: respond-async): task_id, status, status_url",
            "headers": {"Location": {"schema": {"type": "string"}}},
            "content": {"application/json": {"schema": {"type": "object"}}},
        }
    statuses = sorted({api.envelope.statuses.get(s, s) for s in _ERROR_STATUSES})
    for status in statuses:
        responses[str(status)] = {
            "description": "error",
            "content": {"application/json": {"schema": error_ref}},
        }
    op: dict[str, Any] = {
        "operationId": f"{api.name}_{route.method.lower()}_{_slug(route.path)}",
        "summary": route.summary,
        "description": f"Runs the GraphQL operation `{operation_name(route)}`.",
        "tags": [api.title],
        "parameters": params,
        "responses": responses,
    }
    if route.method in ("POST", "PUT"):
        body: dict[str, Any] = {
            "type": "object",
            "properties": {f.name: _schema(f) for f in route.body},
        }
        required = [f.name for f in route.body if f.required]
        if required:
            body["required"] = required
        content: dict[str, Any] = {"schema": body}
        if route.example is not None:
            content["example"] = dict(route.example)
        op["requestBody"] = {"required": bool(required), "content": {"application/json": content}}
    return op


def _slug(path: str) -> str:
    return re.sub(r"[^a-zA-Z0-9]+", "_", path).strip("_") or "root"


def document(apis: Iterable[Api]) -> dict[str, Any]:
    """The whole REST layer as one OpenAPI 3 document."""
    apis = list(apis)
    paths: dict[str, dict[str, Any]] = {}
    for api in apis:
        for route in api.routes:
            paths.setdefault(api.full_path(route), {})[route.method.lower()] = _operation(
                api, route
            )
    return {
        "openapi": OPENAPI_VERSION,
        "info": {
            "title": "AxonQL REST compatibility layer",
            "version": "1.0.0",
            "description": "The documented paths of five legacy APIs, served by GraphQL.",
        },
        "tags": [{"name": api.title} for api in apis],
        "paths": paths,
        "components": {
            "schemas": {f"{api.name}_error": _error_schema(api) for api in apis},
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer"},
                "apiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key"},
            },
        },
        "security": [{"bearer": []}, {"apiKey": []}, {}],
    }


def docs_page(apis: Iterable[Api]) -> str:
    """A self-contained HTML page listing every route (no scripts, no CDN)."""
    sections = []
    for api in apis:
        rows = "".join(
            f"<tr><td><code>{r.method}</code></td><td><code>{html.escape(api.full_path(r))}"
            f"</code></td><td>{html.escape(r.summary)}</td>"
            f"<td><code>{html.escape(operation_name(r))}</code></td></tr>"
            for r in api.routes
        )
        sections.append(
            f"<h2>{html.escape(api.title)}</h2><table><thead><tr><th>method</th><th>path</th>"
            f"<th>summary</th><th>GraphQL operation</th></tr></thead><tbody>{rows}</tbody>"
            "</table>"
        )
    return (
        "<!doctype html><html lang=en><head><meta charset=utf-8>"
        "<title>AxonQL REST compatibility</title><style>"
        "body{font-family:system-ui,sans-serif;margin:2rem;max-width:70rem}"
        "table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #ddd;"
        "padding:.3rem .6rem;text-align:left}code{font-size:.9em}</style></head><body>"
        "<h1>AxonQL REST compatibility</h1><p>Machine-readable: "
        '<a href="/openapi.json">/openapi.json</a>. GraphQL: <a href="/graphql">/graphql</a>.'
        "</p>" + "".join(sections) + "</body></html>"
    )
