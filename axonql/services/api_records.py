"""The records the legacy APIs read, created at start-up so a fresh install answers them.

NexusNet reads the System `nexusnet` (its plugins are that system's `plugin` components, its
configuration that system's config) and evolves the Population `nexusnet`. Each is created
once, and a record an older version created gains what it lacks, without overwriting what
clients changed: every step is one conditional write, safe for instances starting together.
"""

from __future__ import annotations

import contextlib
from typing import Any

from pymongo.errors import DuplicateKeyError

from axonql import __version__, models
from axonql.errors import Conflict
from axonql.models.base import utcnow
from axonql.models.system import SERVER_SYSTEM_ID
from axonql.services.host_facts import gpu_count
from axonql.services.populations import GeneDraft, PopulationDraft, create_population
from axonql.settings import Settings

NEXUSNET = "nexusnet"

# The server's own parts that answer NexusNet's paths, listed as its plugins.
PLUGINS: tuple[tuple[str, str, list[str]], ...] = (
    (
        "memory_manager",
        "Memory usage per pool, consolidation and similarity search over stored memories",
        ["memory_usage", "memory_consolidation", "memory_search"],
    ),
    (
        "evolution_engine",
        "Selection, crossover and mutation over the stored NexusNet population",
        ["evolution", "evolution_history"],
    ),
    (
        "immune_system",
        "Integrity scan: stale agents, expired leases, stuck tasks, drifting memories",
        ["threat_scan", "auto_healing"],
    ),
    (
        "agent_dispatch",
        "Hands processing, training and model work to agents that advertise the capability",
        ["text_processing", "process_batch", "training", "model_info"],
    ),
)

# NexusNet's population evolves a network's architecture and training hyperparameters.
GENOME = (
    GeneDraft("learning_rate", 1e-4, 1e-1),
    GeneDraft("layers", 1, 24, integer=True),
    GeneDraft("attention_heads", 1, 16, integer=True),
    GeneDraft("dropout", 0.0, 0.5),
)


def nexusnet_plugins() -> list[models.system.Component]:
    return [
        models.system.Component(
            component_id=name,
            type="plugin",
            state="active",
            last_heartbeat=None,
            configuration={
                "version": __version__,
                "capabilities": capabilities,
                "description": description,
                "author": "AxonQL",
            },
        )
        for name, description, capabilities in PLUGINS
    ]


def nexusnet_config(settings: Settings) -> dict[str, Any]:
    """NexusNet's configuration sections, from what this server is and is set to.

    `core.hidden_dim` and `core.precision` describe a model, which this server does not hold
    (agents do): they are null until a client sets them.
    """
    override = settings.rest_rate_limits.get("nexusnet.default", "100/minute")
    per_minute = int(override.split("/")[0]) if override.endswith("/minute") else None
    return {
        "core": {
            "hidden_dim": None,
            "device": "cuda" if gpu_count() else "cpu",
            "precision": None,
            "max_memory_size": sum(settings.memory_pool_capacity.values()),
        },
        "features": {
            "enable_dreaming": True,
            "enable_evolution": True,
            "enable_immune_system": settings.immune_scan_interval_seconds > 0,
            "enable_compression": False,
        },
        "api": {
            "host": settings.host,
            "port": settings.port,
            "workers": 1,
            "timeout": settings.ws_process_timeout_seconds,
        },
        "security": {
            "enable_auth": True,
            "rate_limiting": settings.rest_rate_limits_enabled,
            "max_requests_per_minute": per_minute,
        },
    }


async def ensure_nexusnet_system(settings: Settings) -> None:
    """The System `nexusnet`, its plugins and every configuration section it lacks."""
    system = models.System(
        id=NEXUSNET,
        name="NexusNet",
        kind=NEXUSNET,
        version=__version__,
        environment=settings.env,
        description="NexusNet's plugins and configuration, served by AxonQL",
        components=nexusnet_plugins(),
        config=nexusnet_config(settings),
    )
    try:
        await system.insert()
        return
    except DuplicateKeyError:
        pass
    collection = models.System.get_pymongo_collection()
    now = utcnow()
    for plugin in nexusnet_plugins():
        await collection.update_one(
            {"_id": NEXUSNET, "components.component_id": {"$ne": plugin.component_id}},
            {"$push": {"components": plugin.model_dump()}, "$set": {"updated_at": now}},
        )
    for section, value in nexusnet_config(settings).items():
        await collection.update_one(
            {"_id": NEXUSNET, f"config.{section}": {"$exists": False}},
            {"$set": {f"config.{section}": value, "updated_at": now}},
        )


async def ensure_nexusnet_population(settings: Settings) -> None:
    """The Population `nexusnet`: ten seeded individuals over NexusNet's genome."""
    if await models.Population.get(NEXUSNET) is not None:
        return
    draft = PopulationDraft(
        name="NexusNet",
        specialization="architecture_search",
        size=10,
        seed=1,
        genome_spec=list(GENOME),
    )
    # Another instance starting on the same database may have created it first.
    with contextlib.suppress(Conflict, DuplicateKeyError):
        await create_population(settings, draft, population_id=NEXUSNET)


# OCTOSPINE's `/api/config` reads this server's System: the parts it documents are all here
# (consciousness status, automations, documentation jobs, the agent network); no limit on
# their numbers is enforced, so the limits are null until an operator sets them.
OCTOSPINE_FEATURES = (
    "consciousness_processing",
    "automation_matrix",
    "documentation_engine",
    "agent_network",
)
OCTOSPINE_LIMITS = ("max_agents", "max_automations", "max_documents")


async def ensure_server_config() -> None:
    """The feature flags and limits OCTOSPINE reads, where the server's System lacks them."""
    collection = models.System.get_pymongo_collection()
    values: dict[str, bool | None] = {f"config.features.{n}": True for n in OCTOSPINE_FEATURES}
    values |= {f"config.limits.{name}": None for name in OCTOSPINE_LIMITS}
    for path, value in values.items():
        await collection.update_one(
            {"_id": SERVER_SYSTEM_ID, path: {"$exists": False}}, {"$set": {path: value}}
        )


async def ensure_api_records(settings: Settings) -> None:
    """Run after the server's own System exists."""
    await ensure_server_config()
    await ensure_nexusnet_system(settings)
    await ensure_nexusnet_population(settings)
