"""The reference agent `axonql serve --agent` starts beside itself: its record and API key.

One agent record (tagged `reference`) serves every such start; each start issues it a fresh
API key and revokes the keys of earlier starts, so a key never outlives the process it was
made for by more than one restart.
"""

from __future__ import annotations

from axonql import models
from axonql.models.agent import AgentStatus
from axonql.models.base import utcnow
from axonql.models.user import ApiKey
from axonql.scopes import AGENT_DEFAULT_SCOPES
from axonql.services.agents import AgentDraft, create_agent
from axonql.services.auth import create_api_key
from axonql.settings import Settings

NAME = "reference-agent"
TAG = "reference"


async def issue_key(settings: Settings, capabilities: list[str], concurrency: int) -> str:
    """The reference agent's API key for this start (the agent is created the first time)."""
    raw = await models.Agent.get_pymongo_collection().find_one({"name": NAME, "tags": TAG})
    if raw is None:
        agent = await create_agent(
            settings,
            AgentDraft(
                name=NAME,
                type="reference",
                status=AgentStatus.IDLE,
                capabilities=capabilities,
                max_concurrent_tasks=concurrency,
                tags=[TAG],
                metadata={"reference_implementation": True},
            ),
        )
        agent_id = agent.id
    else:
        agent_id = str(raw["_id"])
    await ApiKey.get_pymongo_collection().update_many(
        {"agent_id": agent_id, "revoked_at": None}, {"$set": {"revoked_at": utcnow()}}
    )
    _, plain = await create_api_key(sorted(AGENT_DEFAULT_SCOPES), agent_id=agent_id, name=NAME)
    return plain
