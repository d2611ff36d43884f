"""`/openapi.json` is a valid OpenAPI 3 document of every route; `/docs` needs no CDN."""

from __future__ import annotations

import re

import httpx
from openapi_spec_validator import validate

from axonql.rest_compat.tables import APIS


async def test_openapi_document_is_valid_and_complete(http: httpx.AsyncClient) -> None:
    response = await http.get("/openapi.json")
    assert response.status_code == 200
    spec = response.json()
    validate(spec)
    assert spec["openapi"].startswith("3.")
    operations = {(method.upper(), path) for path, item in spec["paths"].items() for method in item}
    expected = {(r.method, api.full_path(r)) for api in APIS for r in api.routes}
    assert operations == expected
    create = spec["paths"]["/api/tasks"]["post"]
    assert "201" in create["responses"]
    assert create["requestBody"]["content"]["application/json"]["schema"]["required"] == ["name"]
    assert {p["name"] for p in spec["paths"]["/api/tasks/{task_id}"]["get"]["parameters"]} == {
        "task_id"
    }


async def test_docs_page_lists_routes_without_external_assets(http: httpx.AsyncClient) -> None:
    response = await http.get("/docs")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    page = response.text
    assert "/api/v2/users/{user_id}/context" in page
    assert "/openapi.json" in page
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", page)
    assert "<script" not in page
