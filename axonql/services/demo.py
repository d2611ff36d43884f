"""Idempotent demo data: the five systems of the seeds and things to look at in GraphiQL."""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable

from rich.progress import Progress

from axonql import models
from axonql.models.agent import AgentConfiguration
from axonql.models.population import GeneRange
from axonql.models.system import Component
from axonql.models.task import PRIORITY_RANK, TaskPriority, TaskStatus
from axonql.scopes import ALL_SCOPES, Scope
from axonql.services import genetics
from axonql.services.auth import hash_password
from axonql.services.events import rebuild_kept
from axonql.settings import Settings

DEMO_PASSWORD = "axonql-demo"

SYSTEMS = [
    (
        "synapticos",
        "SynapticOS Consciousness System V2",
        "synapticos",
        0.78,
        ["consciousness_core", "learning_engine", "security_trainer"],
    ),
    (
        "octospine",
        "OCTOSPINE",
        "octospine",
        0.85,
        ["automation_matrix", "documentation_engine", "agent_network"],
    ),
    (
        "lukhas",
        "LUKHAS AI",
        "lukhas",
        0.72,
        ["memory", "attention", "thought", "risk", "intent", "action"],
    ),
    (
        "nexusnet",
        "NexusNet",
        "nexusnet",
        0.66,
        ["neural_processor", "memory_manager", "evolution_engine", "immune_system"],
    ),
    (
        "drift-sim",
        "AI Personality Drift Simulation",
        "drift_simulation",
        0.5,
        ["simulation_engine", "assessment_engine", "mechanistic_probe"],
    ),
]

AGENTS = [
    (
        "agent_demo_text",
        "Text Processing Agent",
        "data_processor",
        ["text_processing", "data_cleaning", "validation"],
    ),
    ("agent_demo_batch", "Batch Agent", "batch_processor", ["batch_processing", "transformation"]),
    ("agent_demo_trainer", "Training Agent", "trainer", ["training", "learning"]),
    ("agent_demo_matriz", "MATRIZ Agent", "pipeline", ["matriz", "reasoning", "dream"]),
]

MEMORIES = [
    (
        "semantic",
        "Authentication API Reference",
        "Authentication methods and endpoints: JWT bearer tokens, API keys and refresh rotation.",
        ["auth", "api"],
        0.9,
    ),
    (
        "episodic",
        "First deployment",
        "The first OCTOSPINE deployment processed 150 tasks.",
        ["deployment"],
        0.6,
    ),
    (
        "procedural",
        "Consolidation procedure",
        "Merge short-term memories older than a day into "
        "long-term storage when importance is high.",
        ["memory", "procedure"],
        0.7,
    ),
    (
        "document",
        "Task lifecycle",
        "Tasks move created, queued, running, paused, completed, failed or cancelled.",
        ["tasks", "docs"],
        0.8,
    ),
]


async def _systems() -> None:
    for sid, name, kind, level, components in SYSTEMS:
        if await models.System.get(sid) is None:
            await models.System(
                id=sid,
                name=name,
                kind=kind,
                consciousness_level=level,
                components=[Component(component_id=c) for c in components],
                config={"features": {"demo": True}, "limits": {"max_agents": 100}},
            ).insert()


async def _agents() -> None:
    for aid, name, kind, capabilities in AGENTS:
        if await models.Agent.get(aid) is None:
            await models.Agent(
                id=aid,
                name=name,
                type=kind,
                capabilities=capabilities,
                configuration=AgentConfiguration(),
                system_id="octospine",
            ).insert()


async def _tasks() -> None:
    rng = random.Random(7)
    statuses = list(TaskStatus)
    for i in range(20):
        tid = f"task_demo_{i:03d}"
        if await models.Task.get(tid) is not None:
            continue
        priority = rng.choice(list(TaskPriority))
        await models.Task(
            id=tid,
            name=f"Demo task {i}",
            description="Process incoming data from external sources",
            type=rng.choice(["data_processing", "training", "documentation"]),
            status=statuses[i % len(statuses)],
            priority=priority,
            priority_rank=PRIORITY_RANK[priority],
            progress=rng.randint(0, 100),
            agent_id=AGENTS[i % len(AGENTS)][0],
            system_id="octospine",
            tags=["demo"],
        ).insert()


async def _users() -> None:
    demo_users: list[tuple[str, str, list[str]]] = [
        ("user123", "demo", sorted(ALL_SCOPES)),
        ("user_reader", "reader", [Scope.CONSCIOUSNESS_READ, Scope.TASKS_READ, Scope.AGENTS_READ]),
    ]
    for uid, username, scopes in demo_users:
        if await models.User.get(uid) is None:
            await models.User(
                id=uid,
                username=username,
                password_hash=hash_password(DEMO_PASSWORD),
                scopes=scopes,
            ).insert()


async def _population() -> None:
    if await models.Population.get("executive") is not None:
        return
    rng = random.Random(42)
    individuals = [
        models.Individual(
            population_id="executive",
            genome={"learning_rate": rng.uniform(1e-4, 1e-2), "dropout": rng.uniform(0, 0.5)},
            fitness=rng.random(),
        )
        for _ in range(12)
    ]
    fitness = [ind.fitness for ind in individuals]
    await models.Individual.insert_many(individuals)
    await models.Population(
        id="executive",
        name="Executive",
        size=len(individuals),
        specialization="executive_control",
        fitness_average=sum(fitness) / len(fitness),
        fitness_best=max(fitness),
        diversity_index=genetics.diversity([ind.genome for ind in individuals]),
        genome_spec={
            "learning_rate": GeneRange(min=1e-4, max=1e-2),
            "dropout": GeneRange(min=0, max=0.5),
        },
    ).insert()


async def _memories() -> None:
    for i, (kind, title, content, tags, importance) in enumerate(MEMORIES):
        mid = f"mem_demo_{i:03d}"
        if await models.Memory.get(mid) is None:
            await models.Memory(
                id=mid,
                type=kind,
                title=title,
                content=content,
                tags=tags,
                importance=importance,
                owner_user_id="user123",
                pool="long_term" if importance >= 0.7 else "short_term",
                related_ids=[f"mem_demo_{(i + 1) % len(MEMORIES):03d}"],
            ).insert()


STEPS: list[tuple[str, Callable[[], Awaitable[None]]]] = [
    ("systems", _systems),
    ("agents", _agents),
    ("tasks", _tasks),
    ("users", _users),
    ("population", _population),
    ("memories", _memories),
]


async def load_demo(
    settings: Settings, *, progress: bool = True, only_if_empty: bool = False
) -> bool:
    """Insert whatever demo data is missing; with `only_if_empty`, only into an empty database."""
    if only_if_empty and await models.Task.find_all().limit(1).count() > 0:
        return False
    if not progress:
        for _, step in STEPS:
            await step()
        await rebuild_kept()  # the steps insert directly, not through the services
        return True
    with Progress() as bar:
        job = bar.add_task("demo data", total=len(STEPS))
        for name, step in STEPS:
            bar.update(job, description=f"demo data: {name}")
            await step()
            bar.advance(job)
    await rebuild_kept()  # the steps insert directly, not through the services
    print(f"demo users: demo / {DEMO_PASSWORD} (every scope), reader / {DEMO_PASSWORD}")
    return True
