"""GraphiQL served entirely by this server: Strawberry's page pointed at locally vendored files."""

from __future__ import annotations

from functools import cache

from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from axonql.first_run import DEFAULT_DOCUMENT
from axonql.graphiql_assets import (
    UNPKG,
    VENDOR_DIR,
    Asset,
    asset_file,
    page_assets,
    page_opening_on,
)

STATIC_PATH = "/graphiql/static"
IMMUTABLE = "public, max-age=31536000, immutable"
# The page runs one inline script and inline styles; everything else must come from this origin.
CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self' 'unsafe-inline'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
    )
)
MISSING_ASSETS = (
    "GraphiQL's assets are not installed on this server. "
    "Run `python -m axonql.graphiql_assets` (part of `make install`), then reload."
)


@cache
def assets_by_path() -> dict[str, Asset]:
    return {asset.relative: asset for asset in page_assets()}


def assets_installed() -> bool:
    return all(asset_file(asset).is_file() for asset in assets_by_path().values())


@cache
def _page_with_default_document() -> str:
    """Strawberry's page opening on AxonQL's own document (sign in, read, subscribe)."""
    return page_opening_on(DEFAULT_DOCUMENT)


def page_html(root_path: str = "") -> str:
    """The GraphiQL page with every unpkg URL moved under this server's static path."""
    return _page_with_default_document().replace(UNPKG, f"{root_path}{STATIC_PATH}/")


def render_graphiql(request: Request) -> Response:
    """The IDE page, or a clear 503 when the vendored files were never fetched."""
    if not assets_installed():
        return PlainTextResponse(MISSING_ASSETS, status_code=503)
    return HTMLResponse(
        page_html(request.scope.get("root_path", "")),
        headers={"Content-Security-Policy": CONTENT_SECURITY_POLICY, "Cache-Control": "no-cache"},
    )


async def serve_asset(request: Request) -> Response:
    """Only the files the page references, with long caching (their paths carry versions)."""
    asset = assets_by_path().get(request.path_params["path"])
    if asset is None or not asset_file(asset).is_file():
        return PlainTextResponse("Not Found", status_code=404)
    return FileResponse(asset_file(asset), headers={"Cache-Control": IMMUTABLE})


def graphiql_routes() -> list[BaseRoute]:
    return [Route(STATIC_PATH + "/{path:path}", serve_asset, methods=["GET", "HEAD"])]


__all__ = ["STATIC_PATH", "VENDOR_DIR", "graphiql_routes", "page_html", "render_graphiql"]
