"""The Schema: every area contributes its Query/Mutation/Subscription class here."""

from __future__ import annotations

from typing import Any

import strawberry
from graphql.validation import ASTValidationRule
from strawberry.extensions import (
    MaxTokensLimiter,
    max_aliases,
    query_depth_limiter,
)
from strawberry.tools import merge_types

from axonql.observability.graphql_metrics import OperationMetrics
from axonql.observability.graphql_spans import GraphQLSpans
from axonql.observability.log_context import OperationLogContext
from axonql.resolvers.agent_fields import AgentMutation, AgentQuery
from axonql.resolvers.auth_fields import AuthMutation
from axonql.resolvers.automation_fields import AutomationMutation, AutomationQuery
from axonql.resolvers.consciousness_fields import ConsciousnessMutation, ConsciousnessQuery
from axonql.resolvers.constellation_fields import ConstellationMutation, ConstellationQuery
from axonql.resolvers.documentation_fields import DocumentationMutation, DocumentationQuery
from axonql.resolvers.event_fields import EventMutation, EventQuery, EventSubscription
from axonql.resolvers.evolution_fields import EvolutionMutation, EvolutionQuery
from axonql.resolvers.guardian_fields import GuardianQuery
from axonql.resolvers.immune_fields import ImmuneMutation, ImmuneQuery
from axonql.resolvers.learning_fields import LearningMutation, LearningQuery
from axonql.resolvers.memory_fields import MemoryMutation, MemoryQuery
from axonql.resolvers.metric_summary_fields import MetricSummaryQuery
from axonql.resolvers.metrics_fields import MetricsQuery
from axonql.resolvers.node_fields import NodeQuery
from axonql.resolvers.plugin_fields import PluginMutation, PluginQuery
from axonql.resolvers.population_fields import PopulationMutation, PopulationQuery
from axonql.resolvers.recall_fields import RecallMutation, RecallQuery
from axonql.resolvers.security_fields import SecurityMutation, SecurityQuery
from axonql.resolvers.simulation_fields import SimulationMutation, SimulationQuery
from axonql.resolvers.system_fields import SystemMutation, SystemQuery
from axonql.resolvers.task_fields import TaskMutation, TaskQuery
from axonql.resolvers.training_fields import TrainingMutation, TrainingQuery
from axonql.resolvers.user_fields import UserMutation, UserQuery
from axonql.resolvers.work_fields import WorkMutation, WorkQuery
from axonql.schema.cost import CostedValidationRules, CostLimits
from axonql.schema.errors import ErrorCodedSchema, ErrorCodes
from axonql.schema.metrics_types import OperationOutcome
from axonql.schema.permissions import Requires
from axonql.schema.shared_execution import SharedEventExecution

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
    GuardianQuery,
    NodeQuery,
    EventQuery,
    TrainingQuery,
    PluginQuery,
    ConstellationQuery,
    MetricSummaryQuery,
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
    TrainingMutation,
    PluginMutation,
    ConstellationMutation,
)
SUBSCRIPTIONS: tuple[type, ...] = (EventSubscription,)

MAX_QUERY_DEPTH = 12
MAX_ALIASES = 30
MAX_TOKENS = 10_000


def build_schema(
    *, cost: CostLimits | None = None, tracing: bool = False, direct_delivery: bool = True
) -> strawberry.Schema:
    """The schema with error codes and depth/alias/token/cost limits.

    An app builds one and every transport shares it; whether a caller may introspect is decided
    per request (`Context.introspection`, applied by `CostedValidationRules`).

    The limits bound what one request can make the database do: each alias of a list field is
    another query, so thousands of aliases would be thousands of queries; and nested lists
    multiply, which only the cost estimate (`schema/cost.py`, limits from the settings) sees.
    """
    rules: list[type[ASTValidationRule]] = [
        query_depth_limiter.create_validator(MAX_QUERY_DEPTH, None),
        max_aliases.create_validator(MAX_ALIASES),
    ]
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
        # Subscription results shared across subscribers (off: Strawberry's own executor).
        execution_context_class=SharedEventExecution.for_one_schema() if direct_delivery else None,
    )
