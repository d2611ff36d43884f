"""Root fields for documentation: arguments in, one service call, a schema type out."""

from __future__ import annotations

import strawberry

from axonql.schema.context import Info
from axonql.schema.documentation_types import (
    Document,
    DocumentationInput,
    DocumentationJob,
    DocumentationStatus,
)
from axonql.schema.permissions import mutation, query
from axonql.scopes import Scope
from axonql.services import documentation as logic


@strawberry.type
class DocumentationQuery:
    @query(Scope.MEMORIES_READ, description="Stored documents by type and generation jobs.")
    async def documentation(self, info: Info) -> DocumentationStatus:
        return DocumentationStatus.from_summary(await logic.documentation_status())

    @query(Scope.CONSCIOUSNESS_READ, description="One documentation job (OCTOSPINE job status).")
    async def documentation_job(self, info: Info, id: strawberry.ID) -> DocumentationJob:
        return DocumentationJob.from_view(await logic.get_job(id))

    @query(
        Scope.MEMORIES_READ,
        description="Documents ranked by term overlap (title weighs 0.7, content 0.3).",
    )
    async def search_documentation(
        self, info: Info, query: str, type: str | None = None, limit: int = 10
    ) -> list[Document]:
        hits = await logic.search_documentation(
            query, type, limit, text_index=info.context.state.text_search
        )
        return [Document.from_hit(h) for h in hits]


@strawberry.type
class DocumentationMutation:
    @mutation(
        Scope.TASKS_WRITE,
        description="Queue a documentation task for a capable agent (503 NO_CAPABLE_AGENT "
        "when no online agent offers `documentation`).",
    )
    async def generate_documentation(
        self, info: Info, input: DocumentationInput
    ) -> DocumentationJob:
        job = await logic.generate_documentation(
            info.context.state,
            input.type,
            input.targets,
            input.format,
            input.include_examples,
            str(input.system_id) if input.system_id else None,
        )
        return DocumentationJob.from_view(job)
