"""The one settings object, read from `AXONQL_*` environment variables."""

from __future__ import annotations

import secrets
from ipaddress import ip_network
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, IPvAnyNetwork, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

LOCAL_NETWORKS = (
    "127.0.0.0/8",
    "::1/128",
    "10.0.0.0/8",
    "172.16.0.0/12",
    "192.168.0.0/16",
    "fc00::/7",
)
"""Loopback and private networks: who may scrape `/metrics` when no token is set."""


class Settings(BaseSettings):
    """Everything configurable about one AxonQL instance."""

    model_config = SettingsConfigDict(env_prefix="AXONQL_", extra="ignore")

    mongodb_url: str = ""
    data_dir: Path = Path(".axonql")
    database: str = "axonql"
    database_timeout_ms: int = Field(default=5000, gt=0)  # fail fast when it is gone
    # A write is acknowledged only once durable: the embedded server syncs each commit to disk,
    # MongoDB acknowledges once a majority has journaled it ("1" and False trade that for speed).
    embedded_sync_on_commit: bool = True
    write_concern: str = Field(default="majority", pattern=r"^(majority|[1-9][0-9]*)$")
    write_journal: bool = True
    # Units of work (transactions) one instance runs at once; the rest wait for a slot. 0: as
    # suits the server (`database.suited_write_concurrency`: 2 on SecantusDB, 32 on MongoDB).
    write_concurrency: int = Field(default=0, ge=0)
    broadcast_url: str = "memory://"
    jwt_secret: str = ""
    jwt_algorithm: Literal["HS256", "RS256"] = "HS256"
    jwt_private_key: str = ""
    jwt_public_key: str = ""
    env: Literal["development", "production", "test"] = "development"
    bootstrap_admin: str = ""
    host: str = "127.0.0.1"
    port: int = 8000
    graphiql: bool | None = None
    introspection: bool | None = None
    access_token_ttl_seconds: int = Field(default=3600, gt=0)
    # How long an instance trusts its last answer to "is this access token revoked?": logout,
    # deactivation and scope changes end access tokens on every instance within this time.
    token_check_seconds: float = Field(default=2.0, ge=0)
    # Failed password checks allowed per login name and per client address (`limits` syntax),
    # counted in `rest_rate_limit_storage` so every instance shares them.
    login_attempts_per_account: str = "10/15 minutes"
    login_attempts_per_address: str = "100/15 minutes"
    refresh_token_ttl_seconds: int = Field(default=30 * 24 * 3600, gt=0)
    max_text_length: int = Field(default=10_000, gt=0)
    max_name_length: int = Field(default=200, gt=0)
    max_page_size: int = Field(default=500, gt=0)
    # Hostile input: how deep any JSON may nest (deeper exhausts parsers' recursion), request
    # bodies (413 while streaming), WebSocket messages (closed 1009) and operations one
    # socket may hold (services/safe_json.py, middleware.py, graphql_ws.py).
    max_json_depth: int = Field(default=64, gt=0, le=256)
    max_request_bytes: int = Field(default=1024 * 1024, gt=0)
    max_ws_message_bytes: int = Field(default=256 * 1024, gt=0)
    max_subscriptions_per_socket: int = Field(default=100, gt=0)
    # Query cost (schema/cost.py): an operation whose estimate exceeds `max_query_cost` is
    # refused before it runs; a list field without any size argument (a relation such as
    # `related`) is assumed `default_list_cost` long.
    max_query_cost: int = Field(default=200_000, gt=0)
    default_list_cost: int = Field(default=10, gt=0)
    # Persisted queries (services/persisted_queries.py): APQ queries each instance keeps in
    # memory in front of the database, and how long a registered one is stored (at most
    # `max_request_bytes` of text). `trusted_documents` (a JSON manifest of sha256 → query,
    # from `axonql trusted-documents`) restricts the server to the operations it lists.
    persisted_query_cache_size: int = Field(default=1000, gt=0)
    persisted_query_ttl_seconds: int = Field(default=30 * 24 * 3600, gt=0)
    trusted_documents: Path | None = None
    event_retention_seconds: int = Field(default=7 * 24 * 3600, gt=0)
    # Agents heartbeat every 2 s and renew leases every 1 s (the reference agent's defaults), so
    # a dead agent is offline after 8 s and its task re-queued after 6 s: a synchronous caller
    # learns of it (503) within 10 s.
    agent_offline_after_seconds: int = Field(default=8, gt=0)
    # Real-time: "auto" tails the event log's change stream unless broadcast_url names an
    # external bus (redis://), which then carries the fan-out.
    fanout: Literal["auto", "change_stream", "broadcast"] = "auto"
    subscriber_buffer: int = Field(default=1000, gt=0, le=1_000_000)
    ws_keep_alive_seconds: float = Field(default=15.0, gt=0)
    # Subscription fast path (schema/direct_delivery.py, schema/shared_execution.py): results
    # shared across subscribers and written straight to the socket. It rests on private
    # Strawberry/graphql-core internals (axonql/adapters); false takes Strawberry's own path.
    direct_delivery: bool = True
    # GraphQL over SSE, single connection mode (sse_reservations.py): reserved streams per
    # instance, and how long a reservation waits for its stream before it expires.
    sse_max_reservations: int = Field(default=10_000, gt=0)
    sse_reservation_ttl_seconds: float = Field(default=30.0, gt=0)
    # Legacy WebSocket bridges (rest_compat/bridges): time to authenticate, OCTOSPINE's
    # system.status period, the drift simulation's connections per IP, per-connection message limit,
    # and how long a NexusNet `process` message waits for its agent.
    ws_auth_timeout_seconds: float = Field(default=10.0, gt=0)
    ws_status_interval_seconds: float = Field(default=30.0, gt=0)
    ws_simulation_connections_per_ip: int = Field(default=10, gt=0)
    ws_message_limit: str = "1000/minute"
    ws_process_timeout_seconds: float = Field(default=30.0, gt=0)
    # REST compatibility: where rate-limit counters live (memory://, mongodb://…, redis://…),
    # per-group overrides such as {"nexusnet.default": "5/minute"}, and an off switch.
    rest_rate_limit_storage: str = "memory://"
    rest_rate_limits: dict[str, str] = Field(default_factory=dict)
    rest_rate_limits_enabled: bool = True
    immune_scan_interval_seconds: float = Field(default=300.0, ge=0)
    immune_auto_heal: bool = True
    memory_drift_alert_level: float = Field(default=0.3, ge=0.0, le=1.0)
    memory_pool_capacity: dict[str, int] = Field(
        default_factory=lambda: {"short_term": 3000, "long_term": 4000, "episodic": 500}
    )
    metrics_interval_seconds: float = Field(default=10.0, ge=0)
    metrics_retention_seconds: int = Field(default=7 * 24 * 3600, gt=0)
    # Prometheus `/metrics` (observability/metrics_endpoint.py): with a token set, scrapes must send
    # `Authorization: Bearer <token>`; without one, only clients in `metrics_allow` are served.
    metrics_enabled: bool = True
    metrics_token: str = ""
    metrics_allow: list[IPvAnyNetwork] = Field(
        default_factory=lambda: [ip_network(n) for n in LOCAL_NETWORKS]
    )
    task_lease_seconds: float = Field(default=6.0, gt=0)
    lease_check_seconds: float = Field(default=1.0, gt=0)
    claim_poll_seconds: float = Field(default=1.0, gt=0)
    reply_poll_seconds: float = Field(default=0.25, gt=0)
    max_wait_seconds: float = Field(default=300.0, gt=0)
    scheduler_enabled: bool = True
    scheduler_tick_seconds: float = Field(default=1.0, gt=0)
    scheduler_lock_seconds: float = Field(default=10.0, gt=0)
    # Observability (axonql/observability): log lines as text or JSON; OpenTelemetry traces
    # exported over OTLP/HTTP when the standard (unprefixed) endpoint variable is set.
    log_format: Literal["text", "json"] = "text"
    otel_exporter_otlp_endpoint: str = Field(
        default="",
        validation_alias=AliasChoices("OTEL_EXPORTER_OTLP_ENDPOINT", "otel_exporter_otlp_endpoint"),
    )

    @model_validator(mode="after")
    def _production_needs_secret(self) -> Settings:
        if self.env == "production" and self.jwt_algorithm == "HS256" and not self.jwt_secret:
            raise ValueError("AXONQL_JWT_SECRET is required when AXONQL_ENV=production")
        if self.jwt_algorithm == "RS256" and not (self.jwt_private_key and self.jwt_public_key):
            raise ValueError(
                "AXONQL_JWT_PRIVATE_KEY and AXONQL_JWT_PUBLIC_KEY (PEM) are required for RS256"
            )
        return self

    @property
    def is_production(self) -> bool:
        return self.env == "production"

    @property
    def write_options(self) -> dict[str, object]:
        """PyMongo client options for the write concern (`w` is a number or "majority")."""
        w: int | str = int(self.write_concern) if self.write_concern.isdigit() else "majority"
        return {"w": w, "journal": self.write_journal}

    @property
    def graphiql_enabled(self) -> bool:
        return self.graphiql if self.graphiql is not None else not self.is_production

    @property
    def introspection_enabled(self) -> bool:
        return self.introspection if self.introspection is not None else not self.is_production

    def signing_secret(self) -> str:
        """The HS256 secret: configured, or generated once into the data dir for development."""
        if self.jwt_secret:
            return self.jwt_secret
        path = self.data_dir / "jwt-secret"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(secrets.token_urlsafe(48))
            path.chmod(0o600)
        self.jwt_secret = path.read_text().strip()
        return self.jwt_secret
