"""The Schema: every area contributes its Query/Mutation/Subscription class here."""

from __future__ import annotations

from typing import Any

import strawberry
from graphql.validation import ASTValidationRule, NoSchemaIntrospectionCustomRule
from strawberry.extensions import (
    MaxTokensLimiter,
    max_aliases,
    query_depth_limiter,
)
from strawberry.tools import merge_types

from axonql.observability.graphql_metrics import OperationMetrics
from axonql.observability.graphql_spans import GraphQLSpans
from axonql.observability.log_context import OperationLogContext
from axonql.schema.agent_types import AgentMutation, AgentQuery
from axonql.schema.auth_types import AuthMutation
from axonql.schema.automation import AutomationMutation, AutomationQuery
from axonql.schema.consciousness_types import ConsciousnessMutation, ConsciousnessQuery
from axonql.schema.cost import CostedValidationRules, CostLimits
from axonql.schema.documentation_types import DocumentationMutation, DocumentationQuery
from axonql.schema.errors import ErrorCodedSchema, ErrorCodes
from axonql.schema.evolution_types import EvolutionMutation, EvolutionQuery
from axonql.schema.immune_types import ImmuneMutation, ImmuneQuery
from axonql.schema.learning_types import LearningMutation, LearningQuery
from axonql.schema.memory_types import MemoryMutation, MemoryQuery
from axonql.schema.metrics_types import MetricsQuery, OperationOutcome
from axonql.schema.node_lookup import NodeQuery
from axonql.schema.permissions import Requires
from axonql.schema.population_types import PopulationMutation, PopulationQuery
from axonql.schema.recall import RecallMutation, RecallQuery
from axonql.schema.security_types import SecurityMutation, SecurityQuery
from axonql.schema.shared_execution import SharedEventExecution
from axonql.schema.simulation_types import SimulationMutation, SimulationQuery
from axonql.schema.subscription import EventMutation, EventSubscription
from axonql.schema.system_types import SystemMutation, SystemQuery
from axonql.schema.task_types import TaskMutation, TaskQuery
from axonql.schema.user_types import UserMutation, UserQuery
from axonql.schema.work_types import WorkMutation, WorkQuery

QUERIES: tuple[type, ...] = (
    TaskQuery,
    AgentQuery,
    UserQuery,
    PopulationQuery,
    MemoryQuery,
    WorkQuery,
    SystemQuery,
    ConsciousnessQuery,
    DocumentationQuery,
    AutomationQuery,
    MetricsQuery,
    LearningQuery,
    SecurityQuery,
    SimulationQuery,
    EvolutionQuery,
    RecallQuery,
    ImmuneQuery,
    NodeQuery,
)
MUTATIONS: tuple[type, ...] = (
    AuthMutation,
    TaskMutation,
    AgentMutation,
    UserMutation,
    PopulationMutation,
    MemoryMutation,
    WorkMutation,
    EventMutation,
    SystemMutation,
    ConsciousnessMutation,
    DocumentationMutation,
    AutomationMutation,
    LearningMutation,
    SecurityMutation,
    SimulationMutation,
    EvolutionMutation,
    RecallMutation,
    ImmuneMutation,
)
SUBSCRIPTIONS: tuple[type, ...] = (EventSubscription,)

MAX_QUERY_DEPTH = 12
MAX_ALIASES = 30
MAX_TOKENS = 10_000


def build_schema(
    *, introspection: bool = True, cost: CostLimits | None = None, tracing: bool = False
) -> strawberry.Schema:
    """The schema with error codes, depth/alias/token/cost limits and (optionally) no
    introspection.

    The limits bound what one request can make the database do: each alias of a list field is
    another query, so thousands of aliases would be thousands of queries; and nested lists
    multiply, which only the cost estimate (`schema/cost.py`, limits from the settings) sees.
    """
    rules: list[type[ASTValidationRule]] = [
        query_depth_limiter.create_validator(MAX_QUERY_DEPTH, None),
        max_aliases.create_validator(MAX_ALIASES),
    ]
    if not introspection:
        rules.append(NoSchemaIntrospectionCustomRule)
    # One extension for all the rules: Strawberry visits every extension at each step of every
    # operation, and for each result it streams (the REST bridges' subscriptions).
    # The log context and the operation's span first: they end last, after `ErrorCodes` has
    # logged and coded the errors (observability/log_context.py, graphql_spans.py).
    extensions: list[Any] = [
        OperationLogContext,
        *([GraphQLSpans] if tracing else []),
        OperationMetrics,  # also before ErrorCodes: it counts the errors' codes
        ErrorCodes,
        OperationOutcome,
        CostedValidationRules(rules, cost or CostLimits()),
        MaxTokensLimiter(max_token_count=MAX_TOKENS),
    ]
    return ErrorCodedSchema(
        query=merge_types("Query", QUERIES),
        mutation=merge_types("Mutation", MUTATIONS),
        subscription=merge_types("Subscription", SUBSCRIPTIONS) if SUBSCRIPTIONS else None,
        extensions=extensions,
        schema_directives=[Requires],
        execution_context_class=SharedEventExecution,
    )
