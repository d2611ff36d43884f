"""Root fields for immune: arguments in, one service call, a schema type out."""

from __future__ import annotations

import strawberry

from axonql.errors import ValidationError
from axonql.models.threat import Threat as ThreatDocument
from axonql.schema.context import Info
from axonql.schema.immune_types import (
    SEVERITIES,
    STATUSES,
    ImmuneScanInput,
    ImmuneScanResult,
    ImmuneStatus,
    Threat,
    ThreatCategory,
    ThreatHistory,
    ThreatSummary,
)
from axonql.schema.permissions import mutation, query
from axonql.scopes import Scope
from axonql.services import immune
from axonql.services import validation as v


def _choice(field: str, value: str | None, allowed: tuple[str, ...]) -> str | None:
    if value is not None and value not in allowed:
        raise ValidationError(f"{field} must be one of {', '.join(allowed)}", field=field)
    return value


@strawberry.type
class ImmuneQuery:
    @query(Scope.NEURAL_MONITOR)
    async def immune_status(self, info: Info) -> ImmuneStatus:
        settings = info.context.settings
        report = await immune.status()
        return ImmuneStatus(
            active=True,
            health_score=report.health_score,
            threats_detected=report.threats_detected,
            threats_resolved=report.threats_resolved,
            last_scan=report.last_scan,
            scan_frequency=int(settings.immune_scan_interval_seconds),
            auto_healing=settings.immune_auto_heal,
            threat_categories=[
                ThreatCategory(
                    name=c.name, active=True, threats_found=c.threats_found, severity=c.severity
                )
                for c in report.categories
            ],
        )

    @query(Scope.NEURAL_MONITOR, description="Threats, newest first, with a summary.")
    async def threats(
        self,
        info: Info,
        limit: int = 50,
        severity: str | None = None,
        status: str | None = None,
        type: str | None = None,
    ) -> ThreatHistory:
        size = v.int_in("limit", limit, 1, 1000)
        where: dict[str, str] = {}
        for key, value, allowed in (
            ("severity", severity, SEVERITIES),
            ("status", status, STATUSES),
            ("type", type, tuple(immune.CHECKS)),
        ):
            if _choice(key, value, allowed) is not None:
                where[key] = str(value)
        found = await ThreatDocument.find(where).sort("-created_at").limit(size).to_list()
        everything = await ThreatDocument.find(where).to_list()
        times = [t.resolution_time for t in everything if t.resolution_time is not None]
        resolved = sum(t.status == "resolved" for t in everything)
        return ThreatHistory(
            threats=[Threat.from_document(t) for t in found],
            summary=ThreatSummary(
                total_threats=len(everything),
                resolved_threats=resolved,
                pending_threats=sum(t.status == "detected" for t in everything),
                average_resolution_time=round(sum(times) / len(times), 3) if times else 0.0,
            ),
        )


@strawberry.type
class ImmuneMutation:
    @mutation(Scope.ADMIN_SYSTEM, description="Scan stored state for problems; heal if asked.")
    async def run_immune_scan(
        self, info: Info, input: ImmuneScanInput | None = None
    ) -> ImmuneScanResult:
        given = input or ImmuneScanInput()
        record, threats = await immune.scan(
            info.context.settings,
            given.scan_types,
            deep_scan=given.deep_scan,
            auto_heal=given.auto_heal,
        )
        refreshed = await ThreatDocument.find({"_id": {"$in": record.threat_ids}}).to_list()
        by_id = {t.id: t for t in refreshed}
        return ImmuneScanResult(
            scan_id=strawberry.ID(record.id),
            status=record.status,
            threats_found=record.threats_found,
            threats_healed=record.threats_healed,
            scan_duration=record.duration_seconds,
            results=[Threat.from_document(by_id.get(t.id, t)) for t in threats],
        )
