"""Fan-out benchmark: 1,000 subscribers on one AxonQL instance vs broadcaster's raw fan-out.

Measures, for the same payloads and the same client processes:
- delivery latency from the producer's call (AxonQL: `emit`, i.e. the database commit; raw:
  `broadcast.publish`) to the client receiving the message, p50/p99;
- sustained events/s (a burst of events, each delivered to every subscriber);
- server memory per idle subscriber (RSS delta of the server process / subscribers).

AxonQL runs as `axonql serve` (its own process) on an embedded SecantusDB; events are
committed by this process through `emit` and reach the server through its change stream.
The baseline is a bare Starlette WebSocket endpoint over `broadcaster` `memory://`.
Knobs: BENCH_SUBSCRIBERS (1000), BENCH_EVENTS (100), BENCH_RATE (events/s, 1),
BENCH_BURST (50), BENCH_CLIENT_PROCS (4), BENCH_CLIENT (picows, or websockets: see
`bench.subscribers`); BENCH_ONLY_AXONQL=1 skips the baseline;
BENCH_DUMP=DIR writes every delivery's (event number, latency) there; BENCH_SELECTION=typed
subscribes with a typed selection (`task { id status progress }`, each event about a task).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import multiprocessing
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import psutil

from axonql.stopping import stop_process
from bench import benchmark
from bench.subscribers import CLIENTS, QUERIES, SELECTION, ClientJob, Shared, client_process

SUBSCRIBERS = int(os.environ.get("BENCH_SUBSCRIBERS", "1000"))
EVENTS = int(os.environ.get("BENCH_EVENTS", "100"))
RATE = float(os.environ.get("BENCH_RATE", "1"))
BURST = int(os.environ.get("BENCH_BURST", "50"))
CLIENT_PROCS = int(os.environ.get("BENCH_CLIENT_PROCS", "4"))
CLIENT = os.environ.get("BENCH_CLIENT", "picows")
PAD = secrets.token_hex(64)  # a realistic payload size (~300 bytes on the wire)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_http(url: str, process: subprocess.Popen[bytes], timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}")
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer")


# ----- one run: same procedure for AxonQL and the raw baseline -----


@dataclass
class RunResult:
    name: str
    p50_ms: float
    p99_ms: float
    max_ms: float
    after_commit_p50_ms: float
    after_commit_p99_ms: float
    commit_p99_ms: float
    samples: int
    events_per_s: float
    deliveries_per_s: float
    burst_complete: float
    cpu_us_per_delivery: float
    rss_per_sub_kib: float


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def _drive(
    name: str,
    url: str,
    mode: str,
    token: str,
    server_pid: int,
    publish: Callable[[dict[str, Any]], Any],
) -> RunResult:
    ctx = multiprocessing.get_context("spawn")
    shared = Shared(
        warmed=ctx.Value("i", 0), burst=ctx.Value("i", 0), control=ctx.Event(), results=ctx.Queue()
    )
    warmed, burst, control, results = shared.warmed, shared.burst, shared.control, shared.results
    server = psutil.Process(server_pid)
    rss_before = server.memory_info().rss
    per_proc = [
        SUBSCRIBERS // CLIENT_PROCS + (1 if i < SUBSCRIBERS % CLIENT_PROCS else 0)
        for i in range(CLIENT_PROCS)
    ]
    procs = [
        ctx.Process(
            target=client_process,
            args=(ClientJob(url, mode, n, token, CLIENT), shared),
        )
        for n in per_proc
    ]
    for proc in procs:
        proc.start()
    try:
        deadline = time.monotonic() + 300
        while warmed.value < SUBSCRIBERS:  # every subscription is live before measuring
            if time.monotonic() > deadline or not all(p.is_alive() for p in procs):
                raise RuntimeError(f"only {warmed.value}/{SUBSCRIBERS} subscribers warmed up")
            await publish({"kind": "warm", "t": time.time(), "pad": PAD})
            await asyncio.sleep(0.5)
        await asyncio.sleep(2)
        rss_idle = server.memory_info().rss
        sent: dict[int, float] = {}
        committed: dict[int, float] = {}
        cpu_start = sum(server.cpu_times()[:2])
        for n in range(EVENTS):
            started = time.monotonic()
            sent[n] = time.time()
            await publish({"kind": "measure", "n": n, "t": sent[n], "pad": PAD})
            committed[n] = time.time()
            await asyncio.sleep(max(0.0, 1 / RATE - (time.monotonic() - started)))
        await asyncio.sleep(2)
        cpu_per_delivery = (sum(server.cpu_times()[:2]) - cpu_start) / (EVENTS * SUBSCRIBERS)
        burst_start = time.time()
        for n in range(BURST):
            await publish({"kind": "burst", "n": n, "t": time.time(), "pad": PAD})
        expected = BURST * SUBSCRIBERS
        deadline = time.monotonic() + 120
        while burst.value < expected and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
        control.set()
        collected = [results.get(timeout=60) for _ in procs]
    finally:
        control.set()
        for proc in procs:
            proc.join(timeout=30)
            if proc.is_alive():
                proc.kill()
    pairs = [(n, at) for r in collected for n, at in r["received"]]
    latencies = [at - sent[n] for n, at in pairs]
    if os.environ.get("BENCH_DUMP"):  # (event number, latency) per delivery, for a closer look
        dump = Path(os.environ["BENCH_DUMP"]) / f"{mode}-latencies.json"
        dump.write_text(json.dumps([(n, at - sent[n]) for n, at in pairs]))
    after_commit = [at - committed[n] for n, at in pairs]
    commits = [committed[n] - sent[n] for n in sent]
    burst_end = max(r["burst_last"] for r in collected)
    burst_deliveries = sum(r["burst_count"] for r in collected)
    burst_seconds = max(burst_end - burst_start, 1e-9)
    return RunResult(
        name=name,
        p50_ms=_percentile(latencies, 0.50) * 1000,
        p99_ms=_percentile(latencies, 0.99) * 1000,
        max_ms=max(latencies) * 1000,
        after_commit_p50_ms=_percentile(after_commit, 0.50) * 1000,
        after_commit_p99_ms=_percentile(after_commit, 0.99) * 1000,
        commit_p99_ms=_percentile(commits, 0.99) * 1000,
        samples=len(latencies),
        events_per_s=burst_deliveries / SUBSCRIBERS / burst_seconds,
        deliveries_per_s=burst_deliveries / burst_seconds,
        burst_complete=burst_deliveries / (BURST * SUBSCRIBERS),
        cpu_us_per_delivery=cpu_per_delivery * 1e6,
        rss_per_sub_kib=(rss_idle - rss_before) / SUBSCRIBERS / 1024,
    )


# ----- AxonQL under test -----


async def _run_axonql(workdir: Path) -> RunResult:
    from axonql import models
    from axonql.database import EmbeddedServer, connect
    from axonql.scopes import Scope
    from axonql.services.auth import issue_access_token
    from axonql.services.events import emit
    from axonql.settings import Settings

    database_server = EmbeddedServer(workdir / "db")
    database_server.start()
    mongo_url = database_server.client_url()  # it runs with --auth
    port = _free_port()
    secret = secrets.token_urlsafe(32)
    env = {
        **os.environ,
        "AXONQL_MONGODB_URL": mongo_url,
        "AXONQL_JWT_SECRET": secret,
        "AXONQL_DATA_DIR": str(workdir / "server"),
        "AXONQL_SCHEDULER_ENABLED": "false",
        "AXONQL_METRICS_INTERVAL_SECONDS": "0",
        "AXONQL_SUBSCRIBER_BUFFER": "10000",
    }
    log = (workdir / "axonql.log").open("wb")
    server = subprocess.Popen(
        [sys.executable, "-m", "axonql.cli", "serve", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    settings = Settings(mongodb_url=mongo_url, jwt_secret=secret, data_dir=workdir / "client")
    try:
        _wait_http(f"http://127.0.0.1:{port}/graphql?query=%7B__typename%7D", server)
        database = await connect(settings)
        try:
            scopes: list[str] = [Scope.CONSCIOUSNESS_READ, Scope.TASKS_READ]
            user = models.User(id="user_bench", username="bench", scopes=scopes)
            await user.save()
            token = issue_access_token(settings, user, scopes)
            task = models.Task(name="bench", progress=40)
            await task.insert()
            subject = task.id if SELECTION == "typed" else None

            async def publish(payload: dict[str, Any]) -> None:
                await emit("LOG_ENTRY", payload, task_id=subject)

            return await _drive(
                f"AxonQL ({QUERIES[SELECTION]}, change stream, GraphQL over WS)",
                f"ws://127.0.0.1:{port}/graphql",
                "axonql",
                token,
                server.pid,
                publish,
            )
        finally:
            await database.close()
    finally:
        stop_process(server, 60)
        log.close()
        database_server.stop()


# ----- the baseline: broadcaster memory:// behind a bare Starlette WebSocket -----


def _raw_app() -> Any:
    from broadcaster import Broadcast
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route, WebSocketRoute
    from starlette.websockets import WebSocket

    broadcast = Broadcast("memory://")

    async def stream(websocket: WebSocket) -> None:
        await websocket.accept()
        async with broadcast.subscribe("bench") as subscriber:

            async def pump() -> None:
                async for event in subscriber:  # type: ignore[union-attr]
                    if event is not None:
                        await websocket.send_text(event.message)

            sending = asyncio.create_task(pump())
            try:
                await websocket.receive()  # returns when the client goes away
            finally:
                sending.cancel()

    async def publish(request: Request) -> Response:
        await broadcast.publish("bench", (await request.body()).decode())
        return Response(status_code=204)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with broadcast:
            yield

    return Starlette(
        routes=[WebSocketRoute("/ws", stream), Route("/publish", publish, methods=["POST"])],
        lifespan=lifespan,
    )


async def _run_raw() -> RunResult:
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "bench.fanout", "raw-server", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_http(f"http://127.0.0.1:{port}/publish", server)
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:

            async def publish(payload: dict[str, Any]) -> None:
                await http.post("/publish", content=json.dumps(payload))

            return await _drive(
                "raw fan-out (broadcaster memory://, bare Starlette WS)",
                f"ws://127.0.0.1:{port}/ws",
                "raw",
                "",
                server.pid,
                publish,
            )
    finally:
        stop_process(server, 60)


def _report(axon: RunResult, raw: RunResult) -> None:
    print(
        f"subscribers={SUBSCRIBERS} latency events={EVENTS} at {RATE}/s, burst={BURST},"
        f" client processes={CLIENT_PROCS}, cpus={os.cpu_count()},"
        f" load average={os.getloadavg()[0]:.1f}"
    )
    columns: tuple[str, ...] = ("p50 ms", "p99 ms", "max ms", "ac p50", "ac p99", "call p99")
    columns += ("events/s", "deliv/s", "CPU us/d", "KiB/sub")
    print(f"{'':<22}" + "".join(f"{c:>10}" for c in columns))
    for label, r in (("AxonQL", axon), ("raw broadcaster", raw)):
        values = (
            r.p50_ms,
            r.p99_ms,
            r.max_ms,
            r.after_commit_p50_ms,
            r.after_commit_p99_ms,
            r.commit_p99_ms,
            r.events_per_s,
            r.deliveries_per_s,
            r.cpu_us_per_delivery,
            r.rss_per_sub_kib,
        )
        print(f"{label:<22}" + "".join(f"{v:10.1f}" for v in values))
        if r.samples < EVENTS * SUBSCRIBERS or r.burst_complete < 1:
            print(
                f"  ({label}: {r.samples}/{EVENTS * SUBSCRIBERS} latency samples,"
                f" burst {r.burst_complete:.0%} delivered)"
            )
    print(
        "p50/p99/max: from the producer's call; ac p50/p99: from its return (commit"
        " acknowledged); call p99: the producer's call itself (AxonQL: emit, i.e. the commit)"
    )
    print(
        f"ratio AxonQL/raw: p50 {axon.p50_ms / raw.p50_ms:.2f}x,"
        f" p99 {axon.p99_ms / raw.p99_ms:.2f}x,"
        f" events/s {axon.events_per_s / raw.events_per_s:.2f}x,"
        f" CPU/delivery {axon.cpu_us_per_delivery / raw.cpu_us_per_delivery:.2f}x,"
        f" memory/sub {axon.rss_per_sub_kib / max(raw.rss_per_sub_kib, 1e-9):.2f}x"
    )
    print(
        f"targets: p99 < 100 ms: {'met' if axon.p99_ms < 100 else 'MISSED'};"
        f" p99 <= 2x raw: {'met' if axon.p99_ms <= 2 * raw.p99_ms else 'MISSED'}"
    )


@benchmark("fanout")
def run() -> None:
    """Both runs, one after the other, then the comparison."""
    if CLIENT not in CLIENTS:
        raise SystemExit(f"BENCH_CLIENT must be one of {', '.join(CLIENTS)}, not {CLIENT!r}")
    with tempfile.TemporaryDirectory(prefix="axonql-bench-") as tmp:
        axon = asyncio.run(_run_axonql(Path(tmp)))
    if os.environ.get("BENCH_ONLY_AXONQL"):
        print(axon, flush=True)
        return
    raw = asyncio.run(_run_raw())
    _report(axon, raw)


if __name__ == "__main__" and sys.argv[1:2] == ["raw-server"]:
    import uvicorn

    uvicorn.run(_raw_app(), host="127.0.0.1", port=int(sys.argv[2]), log_level="warning")
