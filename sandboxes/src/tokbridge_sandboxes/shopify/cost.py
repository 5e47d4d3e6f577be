"""Calculated query cost and the leaky bucket, after Shopify's published rules.

Scalars and enums cost 0, objects 1, a connection 2 plus `first`/`last` times the cost of one
node, a mutation field 10. The requested cost is taken from the bucket before running; the
difference to the actual cost (connections counted by what they really returned) is refunded.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    get_named_type,
    is_leaf_type,
    value_from_ast,
)

from .clock import SandboxClock

CONNECTION_BASE_COST = 2
MUTATION_COST = 10
MAX_PAGE_SIZE = 250
FREE_CONNECTION_FIELDS = {"pageInfo", "__typename"}


class QueryShapeError(Exception):
    """A query Shopify refuses before running it (missing first/last, page too large)."""

    def __init__(self, message: str, node: FieldNode, path: list[str]) -> None:
        super().__init__(message)
        self.node = node
        self.path = path


@dataclass
class CostWalker:
    schema: GraphQLSchema
    fragments: dict[str, FragmentDefinitionNode]
    variables: dict

    def operation_cost(self, operation: OperationDefinitionNode) -> int:
        if operation.operation.value == "mutation":
            root = self.schema.mutation_type
            total = 0
            for field in self.fields(root, operation.selection_set):
                total += MUTATION_COST
            return total
        return self.selection_cost(self.schema.query_type, operation.selection_set, [])

    def fields(self, parent, selection_set: SelectionSetNode | None):
        """Fields of a selection set with fragments inlined (every type condition, the costly case)."""
        if selection_set is None:
            return
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                yield selection
            elif isinstance(selection, InlineFragmentNode):
                yield from self.fields(parent, selection.selection_set)
            elif isinstance(selection, FragmentSpreadNode):
                fragment = self.fragments.get(selection.name.value)
                if fragment is not None:
                    yield from self.fields(parent, fragment.selection_set)

    def typed_fields(self, parent, selection_set: SelectionSetNode | None):
        """(type, field) pairs: like `fields`, with the type each field is asked on, a fragment's type
        condition when it has one, so `... on AppSubscription { lineItems }` under `node` is costed as
        AppSubscription's list and not as Order's connection of the same name."""
        if selection_set is None:
            return
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                yield parent, selection
                continue
            inline = isinstance(selection, InlineFragmentNode)
            fragment = selection if inline else self.fragments.get(selection.name.value)
            if fragment is None:
                continue
            condition = fragment.type_condition
            on = self.schema.get_type(condition.name.value) if condition is not None else None
            yield from self.typed_fields(on or parent, fragment.selection_set)

    def field_definition(self, parent, name: str):
        if name == "__typename":
            return None
        candidates = [parent]
        if not isinstance(parent, GraphQLObjectType):
            candidates = list(self.schema.get_possible_types(parent))
        for candidate in candidates:
            field = candidate.fields.get(name)
            if field is not None:
                return field
        return None

    def argument(self, node: FieldNode, field_def, name: str):
        for argument in node.arguments or ():
            if argument.name.value == name:
                return value_from_ast(argument.value, field_def.args[name].type, self.variables)
        return None

    def selection_cost(self, parent, selection_set: SelectionSetNode | None, path: list[str]) -> int:
        total = 0
        for on, node in self.typed_fields(parent, selection_set):
            field_def = self.field_definition(on, node.name.value)
            if field_def is None:
                continue
            total += self.field_cost(node, field_def, path + [node.alias.value if node.alias else node.name.value])
        return total

    def field_cost(self, node: FieldNode, field_def, path: list[str]) -> int:
        named = get_named_type(field_def.type)
        if is_leaf_type(named):
            return 0
        if named.name.endswith("Connection"):
            first = self.argument(node, field_def, "first")
            last = self.argument(node, field_def, "last")
            if first is None and last is None:
                raise QueryShapeError("you must provide one of first or last", node, path)
            size = first if first is not None else last
            if size > MAX_PAGE_SIZE or size < 0:
                raise QueryShapeError(
                    f"The page size requested ({size}) must be between 0 and {MAX_PAGE_SIZE}.", node, path
                )
            return CONNECTION_BASE_COST + size * self.node_cost(named, node.selection_set, path)
        return 1 + self.selection_cost(named, node.selection_set, path)

    def node_cost(self, connection_type, selection_set, path: list[str]) -> int:
        """Cost of one node of a connection, whether asked through `nodes` or `edges { node }`."""
        total = 0
        for child in self.fields(connection_type, selection_set):
            name = child.name.value
            if name in FREE_CONNECTION_FIELDS:
                continue
            field_def = connection_type.fields[name]
            if name == "nodes":
                total += 1 + self.selection_cost(get_named_type(field_def.type), child.selection_set, path + ["nodes"])
            elif name == "edges":
                edge_type = get_named_type(field_def.type)
                for edge_child in self.fields(edge_type, child.selection_set):
                    if edge_child.name.value == "node":
                        node_type = get_named_type(edge_type.fields["node"].type)
                        total += 1 + self.selection_cost(node_type, edge_child.selection_set, path + ["edges", "node"])
        return total

    # ---- actual cost: the same rules over what the answer really holds ------------------------
    def actual_cost(self, operation: OperationDefinitionNode, data: dict | None) -> int:
        if data is None:
            return 0
        if operation.operation.value == "mutation":
            return MUTATION_COST * sum(1 for _ in self.fields(self.schema.mutation_type, operation.selection_set))
        return self._actual_selection(self.schema.query_type, operation.selection_set, data)

    def _actual_selection(self, parent, selection_set, data) -> int:
        if not isinstance(data, dict):
            return 0
        total = 0
        for on, node in self.typed_fields(parent, selection_set):
            field_def = self.field_definition(on, node.name.value)
            if field_def is None:
                continue
            value = data.get(node.alias.value if node.alias else node.name.value)
            named = get_named_type(field_def.type)
            if is_leaf_type(named) or value is None:
                continue
            if named.name.endswith("Connection"):
                total += CONNECTION_BASE_COST + self._actual_connection(named, node.selection_set, value)
            elif isinstance(value, list):
                total += (
                    sum(1 + self._actual_selection(named, node.selection_set, item) for item in value) if value else 0
                )
            else:
                total += 1 + self._actual_selection(named, node.selection_set, value)
        return total

    def _actual_connection(self, connection_type, selection_set, value: dict) -> int:
        total = 0
        for child in self.fields(connection_type, selection_set):
            name = child.name.value
            key = child.alias.value if child.alias else name
            if name == "nodes":
                node_type = get_named_type(connection_type.fields["nodes"].type)
                total += sum(
                    1 + self._actual_selection(node_type, child.selection_set, n) for n in value.get(key) or []
                )
            elif name == "edges":
                edge_type = get_named_type(connection_type.fields["edges"].type)
                node_type = get_named_type(edge_type.fields["node"].type)
                for edge_child in self.fields(edge_type, child.selection_set):
                    if edge_child.name.value == "node":
                        node_key = edge_child.alias.value if edge_child.alias else "node"
                        total += sum(
                            1 + self._actual_selection(node_type, edge_child.selection_set, (e or {}).get(node_key))
                            for e in value.get(key) or []
                        )
        return total


class LeakyBucket:
    """One app's points at one shop: refills continuously at `restore_rate` up to `size`."""

    def __init__(self, size: float, restore_rate: float, clock: SandboxClock) -> None:
        self.size = size
        self.restore_rate = restore_rate
        self.clock = clock
        self._available = size
        self._updated = clock.now()
        self._lock = threading.Lock()

    def _refill(self) -> None:
        now = self.clock.now()
        self._available = min(self.size, self._available + max(now - self._updated, 0) * self.restore_rate)
        self._updated = now

    def try_take(self, cost: float) -> bool:
        with self._lock:
            self._refill()
            if cost > self._available:
                return False
            self._available -= cost
            return True

    def refund(self, points: float) -> None:
        with self._lock:
            self._refill()
            self._available = min(self.size, self._available + points)

    def drain(self, points: float) -> None:
        with self._lock:
            self._refill()
            self._available = max(0.0, self._available - points)

    def status(self) -> dict:
        with self._lock:
            self._refill()
            return {
                "maximumAvailable": float(self.size),
                "currentlyAvailable": int(self._available),
                "restoreRate": float(self.restore_rate),
            }
