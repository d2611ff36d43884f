"""OCTOSPINE's documentation fields: status, search, generation jobs."""

from __future__ import annotations

from datetime import datetime

import strawberry

from axonql.services import documentation as logic


@strawberry.type
class Document:
    """A stored document (a memory of type `document`) as a search result."""

    id: strawberry.ID
    title: str
    type: str
    content_snippet: str
    relevance_score: float
    last_updated: datetime
    tags: list[str]

    @classmethod
    def from_hit(cls, hit: logic.SearchHit) -> Document:
        return cls(
            id=strawberry.ID(hit.memory.id),
            title=hit.memory.title,
            type=logic.document_type(hit.memory),
            content_snippet=hit.snippet,
            relevance_score=hit.score,
            last_updated=hit.memory.updated_at,
            tags=hit.memory.tags,
        )


@strawberry.type
class DocumentTypeCount:
    type: str
    count: int


@strawberry.type
class DocumentationJobCounts:
    queued: int
    processing: int
    paused: int
    completed: int
    failed: int
    cancelled: int


@strawberry.type
class DocumentationStatus:
    total_documents: int
    types: list[DocumentTypeCount]
    last_updated: datetime | None
    jobs: DocumentationJobCounts

    @classmethod
    def from_summary(cls, summary: logic.DocumentationSummary) -> DocumentationStatus:
        return cls(
            total_documents=summary.total_documents,
            types=[DocumentTypeCount(type=t, count=c) for t, c in summary.by_type],
            last_updated=summary.last_updated,
            jobs=DocumentationJobCounts(**summary.jobs),
        )


@strawberry.type
class DocumentationJob:
    """A generation job; the figures are those its agent reported, null until then."""

    job_id: strawberry.ID
    status: str
    progress: int
    estimated_completion: datetime | None
    targets: list[str]
    documents_generated: int | None
    files_processed: int | None
    completion_time: datetime | None
    error: str | None

    @classmethod
    def from_view(cls, job: logic.JobView) -> DocumentationJob:
        return cls(
            job_id=strawberry.ID(job.task.id),
            status=job.status,
            progress=job.task.progress,
            estimated_completion=job.estimated_completion,
            targets=job.targets,
            documents_generated=job.documents_generated,
            files_processed=job.files_processed,
            completion_time=job.task.completed_at,
            error=job.task.error,
        )


@strawberry.input
class DocumentationInput:
    """OCTOSPINE's `POST /api/documentation/generate` body."""

    type: str
    targets: list[str]
    format: str = "markdown"
    include_examples: bool = True
    system_id: strawberry.ID | None = None
