"""Documentation: stored documents (memories of type `document`), search, generation jobs.

Generation is work for an agent with the `documentation` capability: a job is a Task of type
`documentation`, and its figures (documents generated, files processed) are whatever the agent
reported in the task's result — nothing is made up here. Agents store what they write as
memories of type `document`, with the kind (`api_reference`, `guide` …) in `context.doc_type`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from axonql import models
from axonql.errors import NotFound, ValidationError
from axonql.models.task import TaskStatus
from axonql.services import memory_ops, relevance, tallies
from axonql.services import validation as v
from axonql.services.query_filters import literal
from axonql.services.systems import get_system
from axonql.services.tasks import TaskDraft
from axonql.services.work import submit
from axonql.state import AppState

DOCUMENT_TYPE = "document"
SNIPPET_LENGTH = 160
MAX_QUERY_LENGTH = 500
JOB_STATUS = {
    TaskStatus.CREATED: "queued",
    TaskStatus.QUEUED: "queued",
    TaskStatus.RUNNING: "processing",
    TaskStatus.PAUSED: "paused",
    TaskStatus.COMPLETED: "completed",
    TaskStatus.FAILED: "failed",
    TaskStatus.CANCELLED: "cancelled",
}


def document_type(memory: models.Memory) -> str:
    """The kind of a document (`api_reference` …), kept in its context as `doc_type`."""
    kind = memory.context.get("doc_type")
    return kind if isinstance(kind, str) and kind else DOCUMENT_TYPE


def snippet(query_terms: list[str], content: str) -> str:
    """About 160 characters of the content around the first query term found."""
    start = 0
    lowered = content.lower()
    positions = [lowered.find(t) for t in query_terms if lowered.find(t) >= 0]
    if positions:
        start = max(0, min(positions) - 40)
    piece = content[start : start + SNIPPET_LENGTH].strip()
    prefix = "…" if start > 0 else ""
    suffix = "…" if start + SNIPPET_LENGTH < len(content) else ""
    return f"{prefix}{piece}{suffix}"


@dataclass
class SearchHit:
    memory: models.Memory
    score: float
    snippet: str


async def search_documentation(
    query: str, doc_type: str | None, limit: int, *, text_index: bool
) -> list[SearchHit]:
    """Documents ranked by the shared relevance score (see `services/relevance.py`)."""
    text = v.text("query", query, MAX_QUERY_LENGTH)
    size = v.int_in("limit", limit, 1, 100)
    wanted = relevance.tokens(text)
    if not wanted:
        raise ValidationError("query has no searchable words", field="query")
    extra: dict[str, Any] = {}
    if doc_type:
        kind = v.text("type", doc_type, 100)
        extra["context.doc_type"] = {"$regex": "^" + literal(kind), "$options": "i"}
    found = await memory_ops.search(
        text,
        memory_ops.SearchFilters(types=[DOCUMENT_TYPE], extra=extra),
        limit=size,
        text_index=text_index,
    )
    return [SearchHit(m, score, snippet(wanted, m.content)) for m, score in found.hits]


async def typical_durations(task_types: list[str]) -> list[timedelta | None]:
    """Mean run time of the completed tasks of each type (None without history).

    Read from the task tallies in one read for any number of types, so the figure costs the
    same at any store size; a DataLoader batches a page's tasks into one call.
    """
    means = await tallies.mean_completed_seconds(task_types)
    return [None if m is None else timedelta(seconds=m) for m in means]


async def typical_duration(task_type: str) -> timedelta | None:
    """Mean run time of the completed tasks of this type; None without history."""
    return (await typical_durations([task_type]))[0]


@dataclass
class JobView:
    """A documentation job as OCTOSPINE reports it, read from its task."""

    task: models.Task
    status: str
    estimated_completion: datetime | None

    @property
    def targets(self) -> list[str]:
        raw = self.task.parameters.get("targets")
        return [str(t) for t in raw] if isinstance(raw, list) else []

    def _reported(self, key: str) -> int | None:
        value = (self.task.result or {}).get(key)
        return int(value) if isinstance(value, int | float) else None

    @property
    def documents_generated(self) -> int | None:
        return self._reported("documents_generated")

    @property
    def files_processed(self) -> int | None:
        return self._reported("files_processed")


async def job_view(task: models.Task) -> JobView:
    eta: datetime | None = None
    if task.status is TaskStatus.COMPLETED:
        eta = task.completed_at
    elif task.status in (TaskStatus.CREATED, TaskStatus.QUEUED, TaskStatus.RUNNING):
        typical = await typical_duration("documentation")
        if typical is not None:
            eta = (task.started_at or task.created_at) + typical
    return JobView(task=task, status=JOB_STATUS[task.status], estimated_completion=eta)


async def get_job(job_id: str) -> JobView:
    task = await models.Task.get(job_id)
    if task is None or task.type != "documentation" or task.is_automation:
        raise NotFound(f"documentation job {job_id} not found", details={"id": job_id})
    return await job_view(task)


async def generate_documentation(
    state: AppState,
    doc_type: str,
    targets: list[str],
    output_format: str,
    include_examples: bool,
    system_id: str | None,
) -> JobView:
    """Queue a `documentation` task for an agent with that capability (503 without one)."""
    kind = v.text("type", doc_type, 100)
    checked_targets = v.strings("targets", targets)
    if not checked_targets:
        raise ValidationError("targets must name at least one target", field="targets")
    fmt = v.text("format", output_format, 20)
    draft = TaskDraft(
        name=f"Generate {kind} documentation",
        type="documentation",
        parameters={
            "type": kind,
            "targets": checked_targets,
            "format": fmt,
            "include_examples": include_examples,
        },
        required_capabilities=["documentation"],
        system_id=(await get_system(system_id)).id if system_id else None,
    )
    return await job_view(await submit(state, draft, 0))


@dataclass
class DocumentationSummary:
    total_documents: int
    by_type: list[tuple[str, int]]
    last_updated: datetime | None
    jobs: dict[str, int]


async def documentation_status() -> DocumentationSummary:
    """Counts of stored documents (by type) and of generation jobs (by status)."""
    pipeline: list[dict[str, Any]] = [
        {"$match": {"type": DOCUMENT_TYPE}},
        {
            "$group": {
                "_id": "$context.doc_type",
                "count": {"$sum": 1},
                "last": {"$max": "$updated_at"},
            }
        },
    ]
    cursor = await models.Memory.get_pymongo_collection().aggregate(pipeline)
    counts: dict[str, int] = {}
    last: datetime | None = None
    for row in await cursor.to_list():
        kind = str(row["_id"] or DOCUMENT_TYPE)
        counts[kind] = counts.get(kind, 0) + int(row["count"])
        if row["last"] is not None and (last is None or row["last"] > last):
            last = row["last"]
    tasks = models.Task.get_pymongo_collection()
    base = {"type": "documentation", "is_automation": {"$ne": True}}
    jobs: dict[str, int] = {}
    for status, label in JOB_STATUS.items():
        jobs[label] = jobs.get(label, 0) + await tasks.count_documents(
            {**base, "status": status.value}
        )
    return DocumentationSummary(
        total_documents=sum(counts.values()),
        by_type=sorted(counts.items()),
        last_updated=last,
        jobs=jobs,
    )
