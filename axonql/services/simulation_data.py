"""Querying and exporting what drift simulations recorded (the drift simulation's
`/api/v1/data/*`)."""

from __future__ import annotations

import csv
import io
import json
import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

import pyarrow as pa
import pyarrow.parquet as pq
from beanie import Document

from axonql.errors import ValidationError
from axonql.models.simulation import MechanisticRecord, SimulationAssessment, SimulationEvent
from axonql.services import assessment_scales
from axonql.services import validation as v
from axonql.services.simulation_runs import Stats

MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 50
MAX_EXPORT_ROWS = 100_000
SIGNIFICANT_ACTIVATION = 0.5

D = TypeVar("D", bound=Document)


@dataclass
class DataFilter:
    simulation_id: str | None = None
    persona_id: str | None = None
    kind: str | None = None
    start: datetime | None = None
    end: datetime | None = None

    def query(self, kind_field: str) -> dict[str, Any]:
        query: dict[str, Any] = {}
        if self.simulation_id:
            query["simulation_id"] = self.simulation_id
        if self.persona_id:
            query["persona_id"] = self.persona_id
        if self.kind:
            query[kind_field] = self.kind
        window: dict[str, Any] = {}
        if self.start:
            window["$gte"] = self.start
        if self.end:
            window["$lte"] = self.end
        if self.start and self.end and self.start > self.end:
            raise ValidationError("start_date is after end_date", field="endDate")
        if window:
            query["timestamp"] = window
        return query


@dataclass
class DataPage(Generic[D]):
    items: list[D]
    total: int
    page: int
    size: int

    @property
    def page_count(self) -> int:
        return max(1, -(-self.total // self.size))


def window(page: int | None, size: int | None) -> tuple[int, int]:
    """1-based page and a size of at most 100 (the drift simulation's pagination)."""
    number = v.int_in("page", page if page is not None else 1, 1, 1_000_000)
    length = v.int_in("size", size if size is not None else DEFAULT_PAGE_SIZE, 1, MAX_PAGE_SIZE)
    return number, length


async def _page(model: type[D], query: dict[str, Any], page: int, size: int) -> DataPage[D]:
    total = await model.get_pymongo_collection().count_documents(query)
    items = (
        await model.find(query)
        .sort("timestamp", "_id")
        .skip((page - 1) * size)
        .limit(size)
        .to_list()
    )
    return DataPage(items=items, total=total, page=page, size=size)


def _kind(value: str | None, allowed: tuple[str, ...], field: str) -> str | None:
    if value is not None and value not in allowed:
        raise ValidationError(f"{field} must be one of {', '.join(allowed)}", field=field)
    return value


async def assessments(
    f: DataFilter, page: int | None, size: int | None
) -> tuple[DataPage[SimulationAssessment], dict[str, Stats]]:
    _kind(f.kind, tuple(assessment_scales.SCALES), "assessmentType")
    number, length = window(page, size)
    query = f.query("assessment_type")
    by_type: dict[str, list[float]] = defaultdict(list)
    cursor = SimulationAssessment.get_pymongo_collection().find(
        query, {"assessment_type": 1, "score": 1}
    )
    async for row in cursor:
        by_type[row["assessment_type"]].append(float(row["score"]))
    summary = {kind: Stats.of(values) for kind, values in sorted(by_type.items())}
    return await _page(SimulationAssessment, query, number, length), summary


@dataclass
class EventSummary:
    stress_events: int
    neutral_events: int
    average_intensity: float


async def events(
    f: DataFilter, page: int | None, size: int | None
) -> tuple[DataPage[SimulationEvent], EventSummary]:
    from axonql.services.simulation_runs import EVENT_TYPES

    _kind(f.kind, EVENT_TYPES, "eventType")
    number, length = window(page, size)
    query = f.query("event_type")
    kinds: Counter[str] = Counter()
    intensities: list[float] = []
    async for row in SimulationEvent.get_pymongo_collection().find(
        query, {"event_type": 1, "intensity": 1}
    ):
        kinds[row["event_type"]] += 1
        intensities.append(float(row["intensity"]))
    summary = EventSummary(
        stress_events=kinds["stress"],
        neutral_events=kinds["neutral"],
        average_intensity=round(statistics.fmean(intensities), 4) if intensities else 0.0,
    )
    return await _page(SimulationEvent, query, number, length), summary


@dataclass
class MechanisticSummary:
    """Means of the first vs latest record per persona; layers whose mean |change| > 0.5."""

    baseline_self_reference: float | None
    current_self_reference: float | None
    significant_layers: list[str]
    self_reference: float | None
    emotional: float | None


def _mean(values: list[float]) -> float | None:
    return round(statistics.fmean(values), 4) if values else None


async def mechanistic(
    f: DataFilter, page: int | None, size: int | None
) -> tuple[DataPage[MechanisticRecord], MechanisticSummary]:
    from axonql.services.simulation_runs import DATA_TYPES

    _kind(f.kind, DATA_TYPES, "dataType")
    number, length = window(page, size)
    query = f.query("data_type")
    records = await MechanisticRecord.find(query).sort("timestamp", "_id").to_list()
    first: dict[str, float] = {}
    latest: dict[str, float] = {}
    layer_changes: dict[str, list[float]] = defaultdict(list)
    for r in records:
        if r.self_reference_score is not None:
            first.setdefault(r.persona_id, r.self_reference_score)
            latest[r.persona_id] = r.self_reference_score
        for layer, change in r.activation_changes.items():
            if isinstance(change, int | float) and not isinstance(change, bool):
                layer_changes[layer].append(abs(float(change)))
    summary = MechanisticSummary(
        baseline_self_reference=_mean(list(first.values())),
        current_self_reference=_mean(list(latest.values())),
        significant_layers=sorted(
            layer
            for layer, changes in layer_changes.items()
            if statistics.fmean(changes) > SIGNIFICANT_ACTIVATION
        ),
        self_reference=_mean(
            [r.self_reference_score for r in records if r.self_reference_score is not None]
        ),
        emotional=_mean(
            [r.emotional_salience for r in records if r.emotional_salience is not None]
        ),
    )
    return await _page(MechanisticRecord, query, number, length), summary


EXPORTABLE: dict[str, type[Document]] = {
    "assessments": SimulationAssessment,
    "events": SimulationEvent,
    "mechanistic": MechanisticRecord,
}
FORMATS = {
    "csv": "text/csv",
    "json": "application/json",
    "parquet": "application/vnd.apache.parquet",
}


@dataclass
class Export:
    filename: str
    content_type: str
    content: bytes
    rows: int


def _flat(document: Document) -> dict[str, Any]:
    """A row: scalars as they are, datetimes in ISO 8601, nested values as JSON text."""
    row: dict[str, Any] = {}
    for key, value in document.model_dump(mode="json", by_alias=False).items():
        if key == "revision_id":
            continue
        row[key] = json.dumps(value, sort_keys=True) if isinstance(value, dict | list) else value
    return row


async def export(fmt: str, data_type: str | None, simulation_id: str | None) -> Export:
    """Every matching record of one kind as CSV, JSON or Parquet."""
    if fmt not in FORMATS:
        raise ValidationError(f"format must be one of {', '.join(FORMATS)}", field="format")
    kind = data_type or "assessments"
    if kind not in EXPORTABLE:
        raise ValidationError(f"data_type must be one of {', '.join(EXPORTABLE)}", field="dataType")
    model = EXPORTABLE[kind]
    query = {"simulation_id": simulation_id} if simulation_id else {}
    documents = await model.find(query).sort("timestamp", "_id").limit(MAX_EXPORT_ROWS).to_list()
    filename = f"simulation_{kind}.{fmt}"
    if fmt == "json":
        payload = [d.model_dump(mode="json", exclude={"revision_id"}) for d in documents]
        content = json.dumps(payload, indent=2).encode()
        return Export(filename, FORMATS[fmt], content, len(documents))
    rows = [_flat(d) for d in documents]
    columns = list(rows[0]) if rows else ["id"]
    if fmt == "csv":
        text = io.StringIO()
        writer = csv.DictWriter(text, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)
        return Export(filename, FORMATS[fmt], text.getvalue().encode(), len(rows))
    table = pa.Table.from_pylist(rows) if rows else pa.table({"id": pa.array([], pa.string())})
    sink = io.BytesIO()
    pq.write_table(table, sink)
    return Export(filename, FORMATS[fmt], sink.getvalue(), len(rows))
