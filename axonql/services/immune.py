"""The immune system: an integrity scan over stored state that finds and heals real problems.

Checks, by scan type (NexusNet's categories), what each finds and how it heals:

- `stale_agent` (vulnerabilities): agents not offline but silent past
  `agent_offline_after_seconds` → marked offline;
- `expired_lease` (errors): running tasks whose lease ran out → re-queued, or failed after
  the last attempt;
- `stuck_task` (errors): running tasks not updated for longer than their agent's timeout
  (default 300 s) → reported only;
- `memory_drift` (bias): memories with drift ≥ `memory_drift_alert_level` → drift reset
  (re-anchored);
- `error_rate` (errors): a server error-rate sample above 5 % in the last 5 minutes →
  reported only.

A problem already recorded and still open is not recorded twice: its `detections` grows.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from axonql import models
from axonql.errors import ValidationError
from axonql.models.agent import AgentStatus
from axonql.models.base import utcnow
from axonql.models.system import SERVER_SYSTEM_ID
from axonql.models.task import TaskStatus
from axonql.models.threat import ImmuneScan, Threat
from axonql.services import queue, tallies
from axonql.services import validation as v
from axonql.services.events import Change, atomically, emit
from axonql.services.pagination import Span, windows
from axonql.settings import Settings

SCAN_TYPES = {
    "vulnerabilities": "vulnerability_scan",
    "errors": "error_detection",
    "bias": "bias_detection",
}
SEVERITY_WEIGHT = {"low": 0.02, "medium": 0.05, "high": 0.1, "critical": 0.2}
SEVERITY_ORDER = ["low", "medium", "high", "critical"]
THREAT_STATUSES = ["detected", "resolved", "ignored"]
MAX_LISTED = 1000
ERROR_RATE_THRESHOLD = 0.05
ERROR_RATE_WINDOW = timedelta(minutes=5)
DEFAULT_STUCK_AFTER = timedelta(seconds=300)


@dataclass(frozen=True)
class Finding:
    check: str
    scan_type: str
    severity: str
    subject_id: str
    location: str
    description: str


async def _stale_agents(settings: Settings, now: datetime) -> list[Finding]:
    cutoff = now - timedelta(seconds=settings.agent_offline_after_seconds)
    agents = await models.Agent.find(
        {"status": {"$ne": AgentStatus.OFFLINE.value}, "last_heartbeat": {"$lt": cutoff}}
    ).to_list()
    return [
        Finding(
            "stale_agent",
            "vulnerabilities",
            "medium",
            a.id,
            f"agent:{a.id}",
            f"agent {a.name} silent since {a.last_heartbeat:%Y-%m-%dT%H:%M:%SZ}",
        )
        for a in agents
    ]


async def _expired_leases(settings: Settings, now: datetime) -> list[Finding]:
    tasks = await models.Task.find(
        {"status": TaskStatus.RUNNING.value, "lease_expires_at": {"$lt": now}}
    ).to_list()
    return [
        Finding(
            "expired_lease",
            "errors",
            "high",
            t.id,
            f"task:{t.id}",
            f"task {t.name} lease expired on agent {t.agent_id}",
        )
        for t in tasks
    ]


async def _stuck_tasks(settings: Settings, now: datetime) -> list[Finding]:
    running = await models.Task.find(
        {"status": TaskStatus.RUNNING.value, "updated_at": {"$lt": now - DEFAULT_STUCK_AFTER}}
    ).to_list()
    agent_ids = sorted({t.agent_id for t in running if t.agent_id})
    timeouts = {
        a.id: timedelta(seconds=a.configuration.timeout)
        for a in await models.Agent.find({"_id": {"$in": agent_ids}}).to_list()
    }
    return [
        Finding(
            "stuck_task",
            "errors",
            "medium",
            t.id,
            f"task:{t.id}",
            f"task {t.name} running without progress since {t.updated_at:%Y-%m-%dT%H:%M:%SZ}",
        )
        for t in running
        if now - t.updated_at > timeouts.get(t.agent_id or "", DEFAULT_STUCK_AFTER)
    ]


async def _memory_drift(settings: Settings, now: datetime) -> list[Finding]:
    level = settings.memory_drift_alert_level
    drifting = await models.Memory.find({"drift_score": {"$gte": level}}).to_list()
    return [
        Finding(
            "memory_drift",
            "bias",
            "high" if m.drift_score >= 2 * level else "low",
            m.id,
            f"memory:{m.id}",
            f"memory drift {m.drift_score:.2f} at or above {level:.2f}",
        )
        for m in drifting
    ]


async def _error_rate(settings: Settings, now: datetime) -> list[Finding]:
    # the server's own series of the last minutes, by `(system_id, metric, timestamp)`; the
    # `app_id: None` equality is checked here (asked of SecantusDB it reads every sample)
    recent = await models.MetricSample.find(
        {
            "system_id": SERVER_SYSTEM_ID,
            "metric": "error_rate",
            "timestamp": {"$gte": now - ERROR_RATE_WINDOW},
        }
    ).to_list()
    high = [s for s in recent if s.app_id is None and s.value > ERROR_RATE_THRESHOLD]
    if not high:
        return []
    sample = max(high, key=lambda s: s.value)
    return [
        Finding(
            "error_rate",
            "errors",
            "critical" if sample.value > 4 * ERROR_RATE_THRESHOLD else "high",
            SERVER_SYSTEM_ID,
            "server:requests",
            f"error rate {sample.value:.1%} above {ERROR_RATE_THRESHOLD:.0%}",
        )
    ]


Check = Callable[[Settings, datetime], Awaitable[list[Finding]]]
CHECKS: dict[str, list[Check]] = {
    "vulnerabilities": [_stale_agents],
    "errors": [_expired_leases, _stuck_tasks, _error_rate],
    "bias": [_memory_drift],
}


def check_scan_types(values: list[str] | None) -> list[str]:
    if not values:
        return sorted(CHECKS)
    unknown = sorted(set(values) - set(CHECKS))
    if unknown:
        raise ValidationError(
            f"unknown scan types: {', '.join(unknown)} (known: {', '.join(sorted(CHECKS))})",
            field="scanTypes",
        )
    return sorted(set(values))


async def _record(finding: Finding, scan_id: str, now: datetime) -> Threat:
    existing = await Threat.find_one(
        {"check": finding.check, "subject_id": finding.subject_id, "status": "detected"}
    )
    if existing is not None:
        await _seen_again(existing, finding, scan_id, now)
        return existing
    threat = Threat(
        type=finding.scan_type,
        check=finding.check,
        severity=finding.severity,
        description=finding.description,
        location=finding.location,
        subject_id=finding.subject_id,
        scan_id=scan_id,
        last_seen=now,
    )

    async def write(unit: Change) -> None:
        await threat.insert(session=unit.session)
        cell = _cell(threat)
        unit.count(tallies.threat_deltas(None, cell, seen=threat.created_at))
        await emit(
            "SYSTEM_ALERT",
            {
                "alert_id": threat.id,
                "severity": "critical" if threat.severity == "critical" else "warning",
                "message": threat.description,
                "source": "immune_scan",
            },
            system_id=SERVER_SYSTEM_ID,
        )

    await atomically(write)
    return threat


def _cell(threat: Threat) -> str:
    return tallies.threat_cell(threat.status, threat.severity, threat.type)


async def _seen_again(threat: Threat, finding: Finding, scan_id: str, now: datetime) -> None:
    """An open threat found again: counted, and moved in the tallies if its severity
    changed (same transaction); a threat another scan changed meanwhile is left to it."""
    before = _cell(threat)
    changes = {
        "detections": threat.detections + 1,
        "last_seen": now,
        "scan_id": scan_id,
        "severity": finding.severity,
        "description": finding.description,
        "updated_at": now,
    }

    async def write(unit: Change) -> None:
        done = await Threat.get_pymongo_collection().update_one(
            {"_id": threat.id, "status": threat.status, "severity": threat.severity},
            {"$set": changes},
            session=unit.session,
        )
        if done.modified_count and finding.severity != threat.severity:
            after = tallies.threat_cell(threat.status, finding.severity, threat.type)
            unit.count(tallies.threat_deltas(before, after))

    await atomically(write)
    for key, value in changes.items():
        setattr(threat, key, value)


async def _resolve(threat: Threat, method: str) -> bool:
    """detected → resolved, with the tallies moved in the same transaction."""
    resolved_at = utcnow()
    seconds = round((resolved_at - threat.created_at).total_seconds(), 3)
    changes = {
        "status": "resolved",
        "healed": True,
        "healing_method": method,
        "resolution": f"automatic: {method.replace('_', ' ')}",
        "resolved_at": resolved_at,
        "resolution_time": seconds,
        "updated_at": resolved_at,
    }
    before = _cell(threat)

    async def write(unit: Change) -> bool:
        done = await Threat.get_pymongo_collection().update_one(
            {"_id": threat.id, "status": "detected"}, {"$set": changes}, session=unit.session
        )
        if not done.modified_count:
            return False
        after = tallies.threat_cell("resolved", threat.severity, threat.type)
        deltas = tallies.threat_deltas(before, after, seconds=seconds)
        unit.count(deltas)
        return True

    if not await atomically(write):
        return False
    for key, value in changes.items():
        setattr(threat, key, value)
    return True


async def _still_present(threat: Threat, settings: Settings, now: datetime) -> bool:
    if threat.check == "stale_agent":
        agent = await models.Agent.get(threat.subject_id)
        return agent is not None and agent.status != AgentStatus.OFFLINE
    if threat.check == "expired_lease":
        task = await models.Task.get(threat.subject_id)
        return (
            task is not None
            and task.status == TaskStatus.RUNNING
            and bool(task.lease_expires_at and task.lease_expires_at < now)
        )
    if threat.check == "memory_drift":
        memory = await models.Memory.get(threat.subject_id)
        return memory is not None and memory.drift_score >= settings.memory_drift_alert_level
    return True


HEALING_METHOD = {
    "stale_agent": "marked_offline",
    "expired_lease": "requeued",
    "memory_drift": "drift_reset",
}


async def _reset_drift(memory_id: str, now: datetime) -> None:
    """A drifting memory healed, with the event its stream shows (same transaction)."""

    async def write(unit: Change) -> None:
        done = await models.Memory.get_pymongo_collection().update_one(
            {"_id": memory_id},
            {"$set": {"drift_score": 0.0, "updated_at": now}},
            session=unit.session,
        )
        if done.modified_count:
            payload = {"change": "healed", "fields": ["drift_score"]}
            await emit("MEMORY_UPDATED", payload, memory_id=memory_id)

    await atomically(write)


async def _heal(threats: list[Threat], settings: Settings, now: datetime) -> int:
    checks = {t.check for t in threats}
    if "stale_agent" in checks:
        await queue.mark_offline_agents(settings)
    if "expired_lease" in checks:
        await queue.reap_expired(settings)
    drifting = [t.subject_id for t in threats if t.check == "memory_drift"]
    for memory_id in drifting:  # by `_id`: `$in` takes no index on SecantusDB
        await _reset_drift(memory_id, now)
    healed = 0
    for threat in threats:
        if threat.check not in HEALING_METHOD or await _still_present(threat, settings, now):
            continue
        if await _resolve(threat, HEALING_METHOD[threat.check]):
            healed += 1
    return healed


async def scan(
    settings: Settings, scan_types: list[str] | None, *, deep_scan: bool, auto_heal: bool
) -> tuple[ImmuneScan, list[Threat]]:
    """Run the selected checks, record threats, optionally heal; returns the scan and threats."""
    types = check_scan_types(scan_types)
    started = time.perf_counter()
    now = utcnow()
    record = ImmuneScan(scan_types=types, deep_scan=deep_scan, auto_heal=auto_heal)
    findings = [f for kind in types for check in CHECKS[kind] for f in await check(settings, now)]
    threats = [await _record(f, record.id, now) for f in findings]
    record.threats_found = len(threats)
    record.threats_healed = await _heal(threats, settings, now) if auto_heal else 0
    record.threat_ids = [t.id for t in threats]
    record.duration_seconds = round(time.perf_counter() - started, 6)
    await record.insert()
    return record, threats


async def scan_report(
    settings: Settings, scan_types: list[str] | None, *, deep_scan: bool, auto_heal: bool
) -> tuple[ImmuneScan, list[Threat]]:
    """`scan`, with each threat read back as stored once healing is done."""
    record, threats = await scan(settings, scan_types, deep_scan=deep_scan, auto_heal=auto_heal)
    refreshed = [await Threat.get(threat_id) for threat_id in record.threat_ids]  # by `_id`
    by_id = {t.id: t for t in refreshed if t is not None}
    return record, [by_id.get(t.id, t) for t in threats]


@dataclass
class CategoryStatus:
    name: str
    threats_found: int
    severity: str


@dataclass
class ImmuneStatus:
    health_score: float
    threats_detected: int
    threats_resolved: int
    last_scan: datetime | None
    categories: list[CategoryStatus]


async def status() -> ImmuneStatus:
    """Health is 1 minus a weight per open threat by severity (floored at 0)."""
    open_threats = await Threat.find(Threat.status == "detected").to_list()  # the open ones
    counts = (await tallies.threat_counts()).by_status
    total, resolved = sum(counts.values()), counts.get("resolved", 0)
    newest = await windows(ImmuneScan, {}, "created_at", True, 1, None, Span())
    last = newest[0] if newest else None
    penalty = sum(SEVERITY_WEIGHT.get(t.severity, 0.05) for t in open_threats)
    categories = []
    for kind, name in sorted(SCAN_TYPES.items(), key=lambda kv: kv[1]):
        mine = [t for t in open_threats if t.type == kind]
        worst = max((SEVERITY_ORDER.index(t.severity) for t in mine), default=0)
        categories.append(
            CategoryStatus(name, len(mine), SEVERITY_ORDER[worst] if mine else "none")
        )
    return ImmuneStatus(
        health_score=round(max(0.0, 1.0 - penalty), 6),
        threats_detected=total,
        threats_resolved=resolved,
        last_scan=last.created_at if last else None,
        categories=categories,
    )


def _choice(field: str, value: str | None, allowed: list[str]) -> str | None:
    if value is not None and value not in allowed:
        raise ValidationError(f"{field} must be one of {', '.join(allowed)}", field=field)
    return value


@dataclass
class ThreatHistory:
    newest: list[Threat]
    total: int
    resolved: int
    pending: int
    average_resolution_time: float


async def threat_history(
    limit: int, severity: str | None, status: str | None, scan_type: str | None
) -> ThreatHistory:
    """The newest `limit` threats matching the filters, with counts over all that match."""
    size = v.int_in("limit", limit, 1, MAX_LISTED)
    where: dict[str, str] = {}
    for key, value, allowed in (
        ("severity", severity, SEVERITY_ORDER),
        ("status", status, THREAT_STATUSES),
        ("type", scan_type, list(CHECKS)),
    ):
        if _choice(key, value, allowed) is not None:
            where[key] = str(value)
    oldest, latest = await tallies.created_span(tallies.THREATS)
    counts = await tallies.threat_counts(status, severity, scan_type)
    total = sum(counts.by_status.values())
    span = Span(oldest, latest, total)
    newest = await windows(Threat, where, "created_at", True, size, None, span)
    resolved = counts.by_status.get("resolved", 0)
    return ThreatHistory(
        newest=newest,
        total=total,
        resolved=resolved,
        pending=counts.by_status.get("detected", 0),
        average_resolution_time=round(counts.resolution_seconds / resolved, 3) if resolved else 0.0,
    )
