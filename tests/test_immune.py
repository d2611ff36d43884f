"""The immune scan on a real database: finds real problems, records them once, heals some."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from axonql import models
from axonql.errors import ValidationError
from axonql.models.agent import AgentStatus
from axonql.models.base import utcnow
from axonql.models.task import TaskStatus
from axonql.models.threat import Threat
from axonql.services import immune
from axonql.settings import Settings


async def _problems() -> None:
    now = utcnow()
    await models.Agent(
        id="agent_silent",
        name="silent",
        status=AgentStatus.ACTIVE,
        last_heartbeat=now - timedelta(hours=1),
    ).insert()
    await models.Agent(
        id="agent_alive", name="alive", status=AgentStatus.ACTIVE, last_heartbeat=now
    ).insert()
    await models.Task(
        id="task_expired",
        name="expired",
        status=TaskStatus.RUNNING,
        agent_id="agent_silent",
        attempts=1,
        max_attempts=3,
        lease_expires_at=now - timedelta(minutes=1),
    ).insert()
    await models.Task(
        id="task_stuck",
        name="stuck",
        status=TaskStatus.RUNNING,
        agent_id="agent_alive",
        lease_expires_at=now + timedelta(hours=1),
        updated_at=now - timedelta(hours=2),
    ).insert()
    await models.Memory(id="mem_drift", content="x", drift_score=0.9).insert()
    await models.Memory(id="mem_ok", content="y", drift_score=0.1).insert()
    await models.MetricSample(metric="error_rate", value=0.5, timestamp=now).insert()


async def test_scan_finds_each_real_problem(settings: Settings) -> None:
    await _problems()
    await models.Task.find_one(models.Task.id == "task_stuck").update(
        {"$set": {"updated_at": utcnow() - timedelta(hours=2)}}
    )
    scan, threats = await immune.scan(settings, None, deep_scan=True, auto_heal=False)
    found = sorted((t.check, t.subject_id) for t in threats)
    assert found == [
        ("error_rate", "axonql"),
        ("expired_lease", "task_expired"),
        ("memory_drift", "mem_drift"),
        ("stale_agent", "agent_silent"),
        ("stuck_task", "task_stuck"),
    ]
    assert scan.threats_found == 5 and scan.threats_healed == 0
    assert all(t.status == "detected" for t in threats)
    again, _ = await immune.scan(settings, ["bias"], deep_scan=False, auto_heal=False)
    assert again.threats_found == 1
    assert await Threat.find_all().count() == 5
    drift = await Threat.find_one(Threat.check == "memory_drift")
    assert drift is not None and drift.detections == 2
    alerts = await models.Event.find(models.Event.type == "SYSTEM_ALERT").count()
    assert alerts == 5


async def test_auto_heal_fixes_what_it_can(settings: Settings) -> None:
    await _problems()
    await models.Task.find_one(models.Task.id == "task_stuck").update(
        {"$set": {"updated_at": utcnow() - timedelta(hours=2)}}
    )
    scan, threats = await immune.scan(settings, None, deep_scan=False, auto_heal=True)
    assert scan.threats_healed == 3 and len(threats) == 5
    healed = {t.check: t for t in await Threat.find(Threat.status == "resolved").to_list()}
    assert set(healed) == {"stale_agent", "expired_lease", "memory_drift"}
    assert healed["expired_lease"].healing_method == "requeued"
    agent = await models.Agent.get("agent_silent")
    task = await models.Task.get("task_expired")
    memory = await models.Memory.get("mem_drift")
    assert agent is not None and agent.status == AgentStatus.OFFLINE
    assert task is not None and task.status == TaskStatus.QUEUED and task.agent_id is None
    assert memory is not None and memory.drift_score == 0.0
    status = await immune.status()
    assert status.threats_detected == 5 and status.threats_resolved == 3
    assert status.last_scan is not None
    open_by_category = {c.name: c.threats_found for c in status.categories}
    assert open_by_category == {"bias_detection": 0, "error_detection": 2, "vulnerability_scan": 0}
    assert status.health_score == pytest.approx(1 - 0.05 - 0.2)


async def test_clean_state_has_no_threats(settings: Settings) -> None:
    scan, threats = await immune.scan(settings, None, deep_scan=False, auto_heal=True)
    assert threats == [] and scan.threats_found == 0
    assert (await immune.status()).health_score == 1.0


def test_unknown_scan_type_is_refused() -> None:
    with pytest.raises(ValidationError) as caught:
        immune.check_scan_types(["telepathy"])
    assert caught.value.field == "scanTypes"


async def test_periodic_scan_runs_on_the_scheduler_leader_only(
    settings: Settings, server: Any
) -> None:
    from axonql.services.scheduler import Background

    await models.Memory(id="mem_far", content="x", drift_score=0.99).insert()
    state = server.app.state.axon
    background = Background(state)
    await background.immune_scan()
    assert await Threat.find_all().count() == 0
    background.is_leader = True
    await background.immune_scan()
    threat = await Threat.find_one(Threat.check == "memory_drift")
    assert threat is not None and threat.status == "resolved"
