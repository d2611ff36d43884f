"""Root fields for immune: arguments in, one service call, a schema type out."""

from __future__ import annotations

import strawberry

from axonql.schema.context import Info
from axonql.schema.immune_types import (
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
        found = await immune.threat_history(limit, severity, status, type)
        return ThreatHistory(
            threats=[Threat.from_document(t) for t in found.newest],
            summary=ThreatSummary(
                total_threats=found.total,
                resolved_threats=found.resolved,
                pending_threats=found.pending,
                average_resolution_time=found.average_resolution_time,
            ),
        )


@strawberry.type
class ImmuneMutation:
    @mutation(Scope.ADMIN_SYSTEM, description="Scan stored state for problems; heal if asked.")
    async def run_immune_scan(
        self, info: Info, input: ImmuneScanInput | None = None
    ) -> ImmuneScanResult:
        given = input or ImmuneScanInput()
        record, threats = await immune.scan_report(
            info.context.settings,
            given.scan_types,
            deep_scan=given.deep_scan,
            auto_heal=given.auto_heal,
        )
        return ImmuneScanResult(
            scan_id=strawberry.ID(record.id),
            status=record.status,
            threats_found=record.threats_found,
            threats_healed=record.threats_healed,
            scan_duration=record.duration_seconds,
            results=[Threat.from_document(t) for t in threats],
        )
