"""Backlog benchmark: what a claim costs as the queue deepens (1,000, 10,000, 100,000 queued).

`axonql serve` on a SecantusDB server process; one agent claims through GraphQL
(`AgentClient.claim`) and completes each task it gets. At each size the queued tasks are
inserted directly in bulk (copies of one task submitted through the API, a fifth of a second
apart, the new ones behind the old, so every size has the same head; before them
`BENCH_BACKLOG_HISTORY` finished ones, 10,000 by default), then the tallies are recounted
(`tallies.rebuild`, as after any bulk import). Each of `BENCH_BACKLOG_SAMPLES` claims is
timed after a reference read (the admin reading one task by id, whose cost does not depend on
the queue); `÷ref ratio` compares claim/reference at the largest and smallest size.

Results: printed, merged into bench/results.json (`backlog: claim`), figures in BENCHMARKS.md.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
from beanie import init_beanie
from pymongo import AsyncMongoClient

from axonql import models
from axonql.agent.client import AgentClient
from axonql.ids import new_id
from axonql.models.base import utcnow
from axonql.services import tallies
from bench import benchmark
from bench._results import figure, save
from bench._stack import Stack, calm, settle, timed
from bench.queue import CAPABILITY, _admin, _register, _submit

SIZES = tuple(int(s) for s in os.environ.get("BENCH_BACKLOG_SIZES", "1000,10000,100000").split(","))
SAMPLES = int(os.environ.get("BENCH_BACKLOG_SAMPLES", "30"))
HISTORY = int(os.environ.get("BENCH_BACKLOG_HISTORY", "10000"))  # finished tasks, older
DATABASE = "bench_backlog"
SPACING = timedelta(milliseconds=200)
BATCH = 1000


async def _main() -> dict[int, tuple[float, float]]:
    found: dict[int, tuple[float, float]] = {}
    with tempfile.TemporaryDirectory() as home:
        stack = Stack(Path(home), DATABASE)
        client: AsyncMongoClient[Any] = AsyncMongoClient(stack.mongo_url, tz_aware=True)
        try:
            await stack.ready()
            database = client[DATABASE]
            await init_beanie(database=database, document_models=models.ALL_DOCUMENTS)
            admin = AgentClient(stack.url, await _admin(stack.mongo_url, DATABASE))
            agent = AgentClient(stack.url, (await _register(admin, 1))[0])
            await agent.heartbeat([CAPABILITY])
            await _submit(admin, 1)
            tasks = database["tasks"]
            template = await tasks.find_one({"status": "queued"})
            assert template is not None
            first = utcnow() - SPACING * (SIZES[-1] + len(SIZES) * (SAMPLES + 2))
            reference = f'{{ task(id: "{template["_id"]}") {{ id name }} }}'

            async def read_reference() -> None:
                await admin.call(reference)

            quiet = statistics.median([await timed(read_reference) for _ in range(9)])
            for start in range(0, HISTORY, BATCH):
                await tasks.insert_many(
                    [
                        {
                            **template,
                            "_id": new_id("task"),
                            "status": "completed",
                            "created_at": first - SPACING * (HISTORY - i),
                        }
                        for i in range(start, min(HISTORY, start + BATCH))
                    ]
                )
            inserted, claimed = 1, 0
            for size in SIZES:
                began = time.perf_counter()
                while inserted - claimed < size:
                    batch = [
                        {**template, "_id": new_id("task"), "created_at": first + SPACING * i}
                        for i in range(inserted, min(size + claimed, inserted + BATCH))
                    ]
                    await tasks.insert_many(batch)
                    inserted += len(batch)
                await tallies.rebuild()
                async with httpx.AsyncClient() as http:
                    await settle(http, stack.base)
                await calm(read_reference, quiet)
                load = os.getloadavg()[0]
                print(f"-- {size:,} queued (inserted in {time.perf_counter() - began:.0f} s; "
                      f"load average {load:.1f})", flush=True)  # fmt: skip
                claims, references = [], []
                for sample in range(SAMPLES + 2):
                    ref = await timed(read_reference)
                    took = time.perf_counter()
                    task = await agent.claim([CAPABILITY], 0)
                    took = (time.perf_counter() - took) * 1000
                    assert task is not None
                    await agent.complete(task.id, {"ok": True})
                    claimed += 1
                    if sample >= 2:  # two warm-ups
                        claims.append(took)
                        references.append(ref)
                found[size] = statistics.median(claims), statistics.median(references)
                print(f"   claim p50 {found[size][0]:.1f} ms, reference {found[size][1]:.1f} ms")
        finally:
            await client.close()
            stack.stop()
    return found


def _report(found: dict[int, tuple[float, float]]) -> None:
    first, last = SIZES[0], SIZES[-1]
    (claim_first, ref_first), (claim_last, ref_last) = found[first], found[last]
    steady = (claim_last / ref_last) / (claim_first / ref_first)
    print(f"claim p50 {claim_first:.1f} ms at {first:,} queued, {claim_last:.1f} ms at {last:,}; "
          f"ratio {claim_last / claim_first:.2f}, ÷ref {steady:.2f}")  # fmt: skip
    save(
        {
            "backlog: claim": {
                **figure(claim_last, f"ms p50 with {last:,} queued", claim_first),
                "ratio_vs_reference": round(steady, 3),
                **{f"at_{size}": round(found[size][0], 2) for size in SIZES},
            }
        }
    )


@benchmark("backlog")
def run() -> None:
    """p50 of a claim with 1,000, 10,000 and 100,000 tasks queued."""
    _report(asyncio.run(_main()))
