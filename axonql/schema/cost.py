"""Query cost: a static upper bound on the objects an operation can resolve, checked before it runs.

Depth and alias limits do not bound work: nine nested `related` lists are within both and still
fan out to millions of objects. The estimate walks the document once against the schema:

* a field of object type costs 1 plus its selection; scalar and enum fields cost nothing;
* a list field (or a field with a page-size argument, such as a connection) multiplies that by
  its page size: `first`/`limit`/`size`/`top`, or `first`/`limit` inside an input object
  (`filter: {limit: 20}`),
  from the literal, the request's variables, the variable's default or the argument's default,
  else the resolvers' default page (50); always capped at the server's `max_page_size`. A size
  given to a field that is not itself a list (a connection, a wrapper page) applies to the
  lists directly inside it (`edges`, `nodes`, `records` …) instead. A list with no size
  argument (a relation such as `related`, `currentTasks`) counts `default_list_size`;
* a list field fetching by a list of ids (`nodes(ids:)`) counts one per id given (capped too);
* every alias and every repeated field is counted again; fragments are expanded (each named
  fragment costed once per page size it is spread under; a spread closing a cycle counts 0,
  NoFragmentCycles reports it);
* introspection (`__schema`, `__type`) is free: it reads the in-memory schema, bounded by the
  schema's size and the depth limit, and production turns it off.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLField,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    ListValueNode,
    ObjectValueNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    Undefined,
    ValueNode,
    VariableNode,
    get_named_type,
    get_nullable_type,
    is_leaf_type,
    is_list_type,
)
from graphql.validation import (
    ASTValidationRule,
    NoSchemaIntrospectionCustomRule,
    ValidationContext,
)
from strawberry.extensions import AddValidationRules

from axonql.adapters.strawberry_internals import graphql_core_schema
from axonql.errors import QueryTooCostly
from axonql.services.pagination import DEFAULT_LIST_LIMIT
from axonql.settings import Settings

# Page sizes: arguments of the field itself, and fields of its input-object arguments.
SIZE_ARGUMENTS = ("first", "limit", "size", "top")
INPUT_SIZE_FIELDS = ("first", "limit")
# Arguments whose list length is the field's size (`nodes(ids: [...])`).
ID_LIST_ARGUMENTS = ("ids",)
_DEFAULTS = Settings.model_fields


@dataclass(frozen=True)
class CostLimits:
    """The ceiling and the sizes the estimate assumes (from `Settings`)."""

    max_cost: int = _DEFAULTS["max_query_cost"].default
    default_list_size: int = _DEFAULTS["default_list_cost"].default
    max_page_size: int = _DEFAULTS["max_page_size"].default
    # What the resolvers return when a paged field is given no size (not configurable there).
    default_page_size: int = DEFAULT_LIST_LIMIT

    @classmethod
    def from_settings(cls, settings: Settings) -> CostLimits:
        return cls(
            max_cost=settings.max_query_cost,
            default_list_size=settings.default_list_cost,
            max_page_size=settings.max_page_size,
        )


class _Estimator:
    """One document's walk; remembers each named fragment's cost per carried page size."""

    def __init__(
        self,
        schema: GraphQLSchema,
        document: DocumentNode,
        variables: Mapping[str, Any],
        limits: CostLimits,
    ) -> None:
        self.schema = schema
        self.limits = limits
        self.variables: dict[str, Any] = dict(variables)
        self.fragments = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        self.memo: dict[tuple[str, int | None], int] = {}
        self.on_path: set[str] = set()

    def operation(self, node: OperationDefinitionNode) -> int:
        # A variable the request leaves out takes its declared default.
        for definition in node.variable_definitions or ():
            name = definition.variable.name.value
            if name not in self.variables and definition.default_value is not None:
                self.variables[name] = _literal(definition.default_value, {})
        root = {
            OperationType.QUERY: self.schema.query_type,
            OperationType.MUTATION: self.schema.mutation_type,
            OperationType.SUBSCRIPTION: self.schema.subscription_type,
        }[node.operation]
        return 0 if root is None else self.selections(node.selection_set, root, None)

    def selections(self, selection_set: SelectionSetNode, parent: Any, carried: int | None) -> int:
        total = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                total += self.field(selection, parent, carried)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                scope = self.schema.get_type(condition.name.value) if condition else parent
                total += self.selections(selection.selection_set, scope or parent, carried)
            elif isinstance(selection, FragmentSpreadNode):
                total += self.spread(selection.name.value, parent, carried)
        return total

    def spread(self, name: str, parent: Any, carried: int | None) -> int:
        fragment = self.fragments.get(name)
        if fragment is None or name in self.on_path:
            return 0
        key = (name, carried)
        if key not in self.memo:
            scope = self.schema.get_type(fragment.type_condition.name.value) or parent
            self.on_path.add(name)
            try:
                self.memo[key] = self.selections(fragment.selection_set, scope, carried)
            finally:
                self.on_path.discard(name)
        return self.memo[key]

    def field(self, node: FieldNode, parent: Any, carried: int | None) -> int:
        name = node.name.value
        if name.startswith("__") or not isinstance(
            parent, GraphQLObjectType | GraphQLInterfaceType
        ):
            return 0
        definition = parent.fields.get(name)
        if definition is None or is_leaf_type(get_named_type(definition.type)):
            return 0
        size = self.size(node, definition)
        named = get_named_type(definition.type)
        if is_list_type(get_nullable_type(definition.type)):
            count = size if size is not None else carried
            count = self.limits.default_list_size if count is None else count
            return self.capped(count) * (1 + self.selections_of(node, named, None))
        return 1 + self.selections_of(node, named, size)

    def selections_of(self, node: FieldNode, named: Any, carried: int | None) -> int:
        return self.selections(node.selection_set, named, carried) if node.selection_set else 0

    def size(self, node: FieldNode, definition: GraphQLField) -> int | None:
        """The page size this field asks for: direct arguments first, then input objects';
        the resolvers' default page for a paged field that names none; None if not paged."""
        given = {a.name.value: a.value for a in node.arguments or ()}
        for name in ID_LIST_ARGUMENTS:
            if name in definition.args and name in given:
                ids = _literal(given[name], self.variables)
                if isinstance(ids, list):
                    return len(ids)
        paged = False
        for name in SIZE_ARGUMENTS:
            argument = definition.args.get(name)
            if argument is None:
                continue
            paged = True
            value = _literal(given[name], self.variables) if name in given else Undefined
            if value is Undefined or value is None:
                value = argument.default_value
            if isinstance(value, int) and not isinstance(value, bool):
                return value
        for name, argument in definition.args.items():
            kind = get_named_type(argument.type)
            if not isinstance(kind, GraphQLInputObjectType):
                continue
            value = _literal(given[name], self.variables) if name in given else Undefined
            for inner_name in INPUT_SIZE_FIELDS:
                inner = kind.fields.get(inner_name)
                if inner is None:
                    continue
                paged = True
                found = value.get(inner_name) if isinstance(value, Mapping) else None
                if found is None or found is Undefined:
                    found = inner.default_value
                if isinstance(found, int) and not isinstance(found, bool):
                    return found
        return self.limits.default_page_size if paged else None

    def capped(self, size: int) -> int:
        return max(0, min(size, self.limits.max_page_size))


def _literal(node: ValueNode, variables: Mapping[str, Any]) -> Any:
    """The value of an argument literal as far as sizes need it (ints and input objects)."""
    if isinstance(node, VariableNode):
        return variables.get(node.name.value, Undefined)
    if isinstance(node, IntValueNode):
        try:
            return int(node.value)
        except ValueError:
            return Undefined
    if isinstance(node, ObjectValueNode):
        return {f.name.value: _literal(f.value, variables) for f in node.fields}
    if isinstance(node, ListValueNode):
        return [_literal(v, variables) for v in node.values]
    return Undefined


def operation_costs(
    schema: GraphQLSchema,
    document: DocumentNode,
    variables: Mapping[str, Any] | None = None,
    limits: CostLimits | None = None,
) -> dict[str | None, int]:
    """Each operation's estimated cost, by operation name."""
    found: dict[str | None, int] = {}
    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode):
            estimator = _Estimator(schema, document, variables or {}, limits or CostLimits())
            name = definition.name.value if definition.name else None
            found[name] = estimator.operation(definition)
    return found


class QueryCostRule(ASTValidationRule):
    """Refuses an operation whose estimate exceeds the ceiling (subclassed per request).

    It reports only on a document the other rules accept: an unknown field or a depth error
    says more than a cost, and a cost of an invalid document means nothing. So it comes first,
    to see every error reported after it (some rules report while they are created), and costs
    the document when it leaves it (only NoUnusedFragments reports later).
    """

    limits = CostLimits()
    variables: Mapping[str, Any] = {}
    operation_name: str | None = None

    def __init__(self, context: ValidationContext) -> None:
        super().__init__(context)
        self.invalid = False
        report = context.on_error

        def noting(error: GraphQLError) -> None:
            self.invalid = True
            report(error)

        context.on_error = noting  # type: ignore[method-assign]  # a plain attribute at runtime

    def leave_document(self, node: DocumentNode, *_args: Any) -> None:
        if self.invalid:
            return
        context = self.context
        assert isinstance(context, ValidationContext)
        for error in cost_errors(
            context.schema, node, self.variables, self.operation_name, self.limits
        ):
            self.report_error(error)


def cost_errors(
    schema: GraphQLSchema,
    document: DocumentNode,
    variables: Mapping[str, Any],
    operation_name: str | None,
    limits: CostLimits,
) -> list[GraphQLError]:
    """QUERY_TOO_COSTLY for the operation this request runs, if its estimate is too high."""
    errors = []
    for definition in document.definitions:
        if not isinstance(definition, OperationDefinitionNode):
            continue
        name = definition.name.value if definition.name else None
        if operation_name is not None and name != operation_name:
            continue  # not the operation this request runs
        cost = _Estimator(schema, document, variables, limits).operation(definition)
        if cost > limits.max_cost:
            error = QueryTooCostly(cost, limits.max_cost)
            errors.append(GraphQLError(error.message, definition, original_error=error))
    return errors


VALIDATED_TEXTS = 512
"""Document texts remembered as valid (bounded: a client may send endless distinct ones)."""


class CostedValidationRules(AddValidationRules):
    """`AddValidationRules` plus the cost rule, which needs each request's variables.

    Validation rules are classes, so the request's variables go into a subclass made for it;
    one extension still carries every rule (Strawberry visits each extension at every step).
    Introspection is refused the same way, per request: one schema serves every transport, and
    only the caller's context (`Context.introspection`, off for `/graphql` in production) knows.

    Validating a document is a pure function of its text (and of whether introspection is
    allowed), and it was a fifth of the server's time on small mutations: a text that passed
    once is not validated again; only its cost, which depends on the variables, is estimated.
    """

    def __init__(self, validation_rules: list[type[ASTValidationRule]], limits: CostLimits) -> None:
        super().__init__(validation_rules)
        self.limits = limits
        self.valid: OrderedDict[tuple[str, bool], None] = OrderedDict()  # texts known valid

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context  # kept: the extension is shared by every request
        text, document = context.query, context.graphql_document
        key = (text or "", NoSchemaIntrospectionCustomRule in context.validation_rules)
        known = text is not None and document is not None and key in self.valid
        if known:
            assert document is not None
            self.valid.move_to_end(key)
            context.pre_execution_errors = cost_errors(
                graphql_core_schema(context.schema),
                document,
                context.variables or {},
                context.operation_name,
                self.limits,
            )
        yield
        if not known and text is not None and context.pre_execution_errors == []:
            self.valid[key] = None
            if len(self.valid) > VALIDATED_TEXTS:
                self.valid.popitem(last=False)

    def on_operation(self) -> Iterator[None]:
        context = self.execution_context
        rule = type(
            "QueryCostRule",
            (QueryCostRule,),
            {
                "limits": self.limits,
                "variables": context.variables or {},
                "operation_name": context.operation_name,
            },
        )
        context.validation_rules = (rule, *context.validation_rules, *self.validation_rules)
        if not getattr(context.context, "introspection", True):
            context.validation_rules = (*context.validation_rules, NoSchemaIntrospectionCustomRule)
        yield
