"""The `axonql` command: serve, user, demo, export-schema, trusted-documents."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Coroutine
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
import uvicorn

from axonql.settings import Settings

if TYPE_CHECKING:
    from axonql.reference_agent import ReferenceAgent

app = typer.Typer(help="AxonQL: GraphQL-first real-time API server.", no_args_is_help=True)
user_app = typer.Typer(help="Manage user accounts.", no_args_is_help=True)
app.add_typer(user_app, name="user")


def run_or_exit(work: Coroutine[Any, Any, None]) -> None:
    """Run a command's coroutine; expected failures end with their code, not a traceback."""
    from pymongo.errors import PyMongoError

    from axonql.errors import AxonError

    try:
        asyncio.run(work)
    except AxonError as exc:
        typer.echo(f"error [{exc.code}]: {exc.message}", err=True)
        raise typer.Exit(code=1) from None
    except PyMongoError as exc:
        typer.echo(f"error [SERVICE_UNAVAILABLE]: the database is unavailable ({exc})", err=True)
        raise typer.Exit(code=1) from None


def load_settings(**overrides: Any) -> Settings:
    """The settings from `AXONQL_*`; a bad configuration ends with what is wrong, no traceback."""
    from pydantic import ValidationError as SettingsError

    try:
        return Settings(**overrides)
    except SettingsError as exc:
        problems = "; ".join(
            f"{'.'.join(map(str, e['loc'])) or 'settings'}: {e['msg']}" for e in exc.errors()
        )
        typer.echo(f"error [CONFIGURATION_INVALID]: {problems}", err=True)
        raise typer.Exit(code=2) from None


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Bind address [AXONQL_HOST]")] = None,
    port: Annotated[int | None, typer.Option(help="Port [AXONQL_PORT]")] = None,
    demo: Annotated[bool, typer.Option(help="Load demo data on first start")] = False,
    agent: Annotated[
        bool, typer.Option(help="Also run one reference agent (model work answers, not 503)")
    ] = False,
) -> None:
    """Start the server (embedded SecantusDB unless AXONQL_MONGODB_URL is set)."""
    from axonql.app import create_app
    from axonql.first_run import sign_in_help
    from axonql.log_redaction import install_redaction
    from axonql.observability.logs import configure_logging
    from axonql.reference_agent import ReferenceAgent

    overrides: dict[str, object] = {}
    if host is not None:
        overrides["host"] = host
    if port is not None:
        overrides["port"] = port
    settings = load_settings(**overrides)
    configure_logging(settings.log_format)  # text, or JSON lines (AXONQL_LOG_FORMAT=json)
    install_redaction()  # before uvicorn logs its first request path
    application = create_app(settings, load_demo=demo)
    config = uvicorn.Config(
        application,
        host=settings.host,
        port=settings.port,
        log_level="info",
        log_config=None,  # uvicorn's records reach the handler configure_logging installed
        ws_max_size=settings.max_ws_message_bytes,  # the app checks too, whatever the server
    )
    helper = None
    if agent:
        local = "127.0.0.1" if settings.host in ("0.0.0.0", "::", "") else settings.host
        url = f"http://{local}:{settings.port}/graphql"
        helper = ReferenceAgent(application, url, REFERENCE_CAPABILITIES.split(","))
    AnnouncingServer(config, sign_in_help(settings, demo=demo), helper).run()


class AnnouncingServer(uvicorn.Server):
    """`axonql serve`'s server: once the app is serving, applies the process-wide GC policy
    (`subscriptions/gc_policy.py`: building an app never touches the collector, so tests and
    embedders keep theirs) and ends the start-up output with how to sign in."""

    def __init__(
        self, config: uvicorn.Config, announcement: str, agent: ReferenceAgent | None = None
    ) -> None:
        super().__init__(config)
        self.announcement = announcement
        self.agent = agent

    async def startup(self, sockets: Any = None) -> None:
        await super().startup(sockets)
        if self.started:
            from axonql.subscriptions import gc_policy

            gc_policy.apply()  # after the lifespan: the start-up heap is what gets frozen
            if self.agent is not None:
                await self.agent.start()
            typer.echo(self.announcement)

    async def shutdown(self, sockets: Any = None) -> None:
        if self.agent is not None:
            await self.agent.stop()  # before the server: it hands its tasks back
        await super().shutdown(sockets)


@user_app.command("create")
def user_create(
    username: str,
    password: Annotated[str, typer.Option(prompt=True, hide_input=True)],
    scope: Annotated[list[str] | None, typer.Option(help="Scope to grant (repeatable)")] = None,
    admin: Annotated[bool, typer.Option(help="Grant every scope")] = False,
    user_id: Annotated[str | None, typer.Option("--id", help="Choose the user id")] = None,
) -> None:
    """Create a user account."""
    from axonql.database import connect
    from axonql.scopes import ALL_SCOPES
    from axonql.services.users import create_account

    settings = load_settings()
    scopes = sorted(ALL_SCOPES) if admin else list(scope or [])

    async def run() -> None:
        database = await connect(settings)
        try:
            user = await create_account(
                settings, username=username, password=password, user_id=user_id, scopes=scopes
            )
            typer.echo(
                f"created user {user.id} ({user.username}) with scopes {' '.join(user.scopes)}"
            )
        finally:
            await database.close()

    run_or_exit(run())


@app.command()
def demo() -> None:
    """Load the demo data (idempotent)."""
    from axonql.database import connect
    from axonql.services.demo import load_demo

    settings = load_settings()

    async def run() -> None:
        database = await connect(settings)
        try:
            await load_demo(settings, progress=True)
        finally:
            await database.close()

    run_or_exit(run())


REFERENCE_CAPABILITIES = ",".join(
    [
        *(f"{kind}_processing" for kind in ("text", "image", "audio", "video", "multimodal")),
        "batch_processing,process_batch,training,model_info,model_load,model_save",
        "matriz,matriz_stage,reflection,reasoning,causal_inference,dream,guardian",
        "drift_simulation,documentation,automation,echo",
    ]
)


@app.command()
def agent(
    url: Annotated[str, typer.Option(help="The AxonQL server (…/graphql)")] = (
        "http://127.0.0.1:8000/graphql"
    ),
    api_key: Annotated[
        str, typer.Option(envvar="AXONQL_AGENT_API_KEY", help="The agent's API key")
    ] = "",
    capabilities: Annotated[
        str, typer.Option(help="Comma-separated capabilities to advertise")
    ] = REFERENCE_CAPABILITIES,
    concurrency: Annotated[int, typer.Option(min=1, max=100, help="Tasks at once")] = 1,
    renew_seconds: Annotated[
        float, typer.Option(min=0.05, help="Lease renewal / control poll period")
    ] = 1.0,
    claim_wait: Annotated[float, typer.Option(min=0, help="Long-poll seconds per claim")] = 5.0,
    heartbeat_seconds: Annotated[float, typer.Option(min=0.1, help="Heartbeat period")] = 2.0,
    subscribe: Annotated[
        bool, typer.Option(help="Also receive cancel/pause through a subscription")
    ] = True,
    model_dir: Annotated[
        Path | None, typer.Option(help="Where model_save writes (default: a temp directory)")
    ] = None,
) -> None:
    """Run the reference agent (deterministic reference handlers) against a server."""
    from axonql.agent.client import ApiError
    from axonql.agent.worker import UnhandledCapabilities, WorkerOptions, run_agent

    if not api_key:
        raise typer.BadParameter("an API key is required (--api-key or AXONQL_AGENT_API_KEY)")
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    options = WorkerOptions(
        capabilities=[c.strip() for c in capabilities.split(",") if c.strip()],
        concurrency=concurrency,
        renew_seconds=renew_seconds,
        claim_wait_seconds=claim_wait,
        heartbeat_seconds=heartbeat_seconds,
        subscribe=subscribe,
    )
    if model_dir is not None:
        options.model_dir = model_dir
    try:
        asyncio.run(run_agent(url, api_key, options))
    except UnhandledCapabilities as exc:
        typer.echo(f"agent refused to start: {exc}", err=True)
        raise typer.Exit(2) from exc
    except ApiError as exc:
        typer.echo(f"agent stopped: {exc}", err=True)
        raise typer.Exit(1) from exc


@app.command("export-schema")
def export_schema() -> None:
    """Print the GraphQL schema (SDL)."""
    from axonql.schema.root import build_schema

    typer.echo(build_schema().as_str())


@app.command("trusted-documents")
def trusted_documents(
    files: Annotated[
        list[Path],
        typer.Argument(help="The client's .graphql files", exists=True, dir_okay=False),
    ],
    add_typename: Annotated[
        bool, typer.Option(help="Add __typename as Apollo Client's cache does before sending")
    ] = False,
) -> None:
    """Print the trusted documents manifest (sha256 → operation) for AXONQL_TRUSTED_DOCUMENTS."""
    from graphql import GraphQLError, Source

    from axonql.services.trusted_documents import build_manifest

    try:
        sources = [Source(f.read_text(encoding="utf-8"), str(f)) for f in files]
        manifest = build_manifest(sources, add_typename=add_typename)
    except (GraphQLError, ValueError) as exc:
        typer.echo(f"error [INVALID_DOCUMENT]: {exc}", err=True)
        raise typer.Exit(code=1) from None
    typer.echo(json.dumps(manifest, indent=2, sort_keys=True))


if __name__ == "__main__":
    app()
