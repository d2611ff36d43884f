"""`GET /metrics` in the Prometheus text format (OpenMetrics when the scraper asks for it).

Access rule: with `AXONQL_METRICS_TOKEN` set, every scrape must send
`Authorization: Bearer <token>` (401 otherwise), from any address; without a token, only
clients in `AXONQL_METRICS_ALLOW` (loopback and private networks by default) are served (403).
"""

from __future__ import annotations

import hmac
from ipaddress import IPv4Address, IPv6Address, ip_address

from prometheus_client import CollectorRegistry
from prometheus_client.exposition import choose_encoder
from prometheus_client.multiprocess import MultiProcessCollector
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from axonql.observability.metrics import Metrics, multiprocess_dir
from axonql.settings import Settings

PATH = "/metrics"


def refusal(request: Request, settings: Settings) -> Response | None:
    """The response refusing this scrape, or None if it may read the metrics."""
    if settings.metrics_token:
        scheme, _, offered = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() == "bearer" and hmac.compare_digest(
            offered.strip().encode(), settings.metrics_token.encode()
        ):
            return None
        return JSONResponse(
            {"error": "metrics token required"},
            status_code=401,
            headers={"WWW-Authenticate": 'Bearer realm="metrics"'},
        )
    host = request.client.host if request.client else ""
    address: IPv4Address | IPv6Address | None
    try:
        address = ip_address(host)
    except ValueError:
        address = None
    if isinstance(address, IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped  # a dual-stack socket's view of an IPv4 client
    if address is not None and any(address in net for net in settings.metrics_allow):
        return None
    return JSONResponse({"error": "metrics are not served to this address"}, status_code=403)


def exposition_registry(metrics: Metrics) -> CollectorRegistry:
    """This app's registry; in multi-process mode every worker's files plus live figures."""
    directory = multiprocess_dir()
    if directory is None:
        return metrics.registry
    registry = CollectorRegistry()
    MultiProcessCollector(registry, path=directory)  # type: ignore[no-untyped-call]
    for collector in metrics.live:
        registry.register(collector)
    return registry


def metrics_route(settings: Settings, metrics: Metrics) -> Route:
    async def scrape(request: Request) -> Response:
        refused = refusal(request, settings)
        if refused is not None:
            return refused
        await metrics.queue_depth.refresh()
        encoder, content_type = choose_encoder(request.headers.get("accept", ""))
        body = encoder(exposition_registry(metrics))
        return Response(body, media_type=content_type)

    return Route(PATH, scrape, methods=["GET"])
