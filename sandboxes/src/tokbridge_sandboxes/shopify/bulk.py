"""Bulk query operations: run a query over the whole shop and write Shopify's JSONL.

Each object is one line; an object reached through a nested connection is its own line, after
its parent, with `__parentId` set to the parent's id. The file is written by a background
thread, streamed from the store (the catalog is generated as it goes), and served by the app
at the operation's `url`.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import os
import secrets
import threading
from dataclasses import dataclass, field
from typing import Any

import orjson
from graphql import (
    FieldNode,
    FragmentSpreadNode,
    GraphQLEnumType,
    GraphQLError,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    get_named_type,
    is_leaf_type,
    parse,
    validate,
)
from graphql.language import FragmentDefinitionNode

from . import parallel
from .catalog_fields import product_matcher, product_source
from .cost import CostWalker
from .graphql_api import resolve_type
from .models import BulkOperation
from .resolving import require_scope, snake
from .store import StoreError

logger = logging.getLogger(__name__)

MAX_CONNECTIONS = 5
KEPT_RESULTS = 5  # result files kept per shop
MAX_NESTING = 2
CONCURRENT_QUERIES_FROM_2026_01 = 5


@dataclass
class BulkQuery(CostWalker):
    """A parsed bulk query: the cost walker's view of its fields, plus field plans compiled once."""

    plans: dict = field(default_factory=dict)


@dataclass
class BulkInfo:
    """The slice of graphql-core's ResolveInfo our resolvers read."""

    context: Any
    schema: GraphQLSchema
    field_name: str = ""
    field_nodes: list = field(default_factory=list)
    variable_values: dict = field(default_factory=dict)


def _is_connection(field_def) -> bool:
    return get_named_type(field_def.type).name.endswith("Connection")


class BulkRunner:
    def __init__(self, schema: GraphQLSchema, results_dir: str, emit_finish, parallel_from: int = 20_000) -> None:
        self.schema = schema
        self.parallel_from = parallel_from  # from this many products, several processes write the file
        self.results_dir = results_dir
        self.emit_finish = emit_finish  # (store, operation) -> None

    # ---- validation --------------------------------------------------------------------------
    def start(self, context, query: str) -> BulkOperation:
        store = context.store
        try:
            document = parse(query)
        except GraphQLError as exc:
            raise StoreError(f"Invalid bulk query: {exc.message}", "INVALID", ["query"]) from None
        errors = validate(self.schema, document)
        if errors:
            raise StoreError(f"Invalid bulk query: {errors[0].message}", "INVALID", ["query"])
        operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
        if len(operations) != 1 or operations[0].operation.value != "query":
            raise StoreError("Bulk queries must contain exactly one query operation.", "INVALID", ["query"])
        fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
        walker = BulkQuery(self.schema, fragments, {})
        operation_node = operations[0]
        roots = list(walker.fields(self.schema.query_type, operation_node.selection_set))
        if len(roots) != 1:
            raise StoreError("Bulk queries must have exactly one top-level field.", "INVALID", ["query"])
        if roots[0].name.value in {"node", "nodes"}:
            raise StoreError("Bulk queries cannot use the top-level `node` or `nodes` fields.", "INVALID", ["query"])
        connections = self._check_shape(walker, self.schema.query_type, operation_node.selection_set, 0)
        if connections == 0:
            raise StoreError("Bulk queries must contain at least one connection.", "INVALID", ["query"])
        if connections > MAX_CONNECTIONS:
            raise StoreError(
                f"Bulk queries cannot contain more than {MAX_CONNECTIONS} connections.", "INVALID", ["query"]
            )
        with store.lock:
            running = [
                op
                for op in store.bulk_operations.values()
                if op.type == "QUERY" and op.status in {"CREATED", "RUNNING", "CANCELING"}
            ]
            limit = CONCURRENT_QUERIES_FROM_2026_01 if context.api_version >= "2026-01" else 1
            if len(running) >= limit:
                raise StoreError(
                    f"A bulk query operation for this app and shop is already in progress: {running[0].gid}.",
                    "OPERATION_IN_PROGRESS",
                    None,
                )
            operation = BulkOperation(
                id=store.new_id(), query=query, type="QUERY", status="CREATED", created_at=store.clock.now()
            )
            store.bulk_operations[operation.id] = operation
        # The answer shows the operation as created, whatever the background run has done meanwhile.
        answer = dataclasses.replace(operation)
        thread = threading.Thread(
            target=self._run, args=(context, operation, walker, roots[0]), name=f"bulk-{operation.id}", daemon=True
        )
        thread.start()
        return answer

    def _check_shape(self, walker: CostWalker, parent, selection_set, depth: int) -> int:
        """Count connections; refuse nesting deeper than Shopify allows and parents without `id`."""
        count = 0
        for node in walker.fields(parent, selection_set):
            field_def = walker.field_definition(parent, node.name.value)
            if field_def is None or is_leaf_type(get_named_type(field_def.type)):
                continue
            named = get_named_type(field_def.type)
            if _is_connection(field_def):
                if depth >= MAX_NESTING:
                    raise StoreError(
                        f"Bulk queries cannot contain connections with a nesting depth greater than {MAX_NESTING}.",
                        "INVALID",
                        ["query"],
                    )
                node_type, node_selection = self._node_selection(walker, named, node)
                if node_type is None:
                    continue
                nested = self._check_shape(walker, node_type, node_selection, depth + 1)
                if nested and not any(
                    f.name.value == "id" and f.alias is None for f in walker.fields(node_type, node_selection)
                ):
                    raise StoreError(
                        f"The parent 'node' field for a nested connection must select the 'id' field without an alias and must be of 'ID' return type. Connection field: '{node.name.value}'.",
                        "INVALID",
                        ["query"],
                    )
                count += 1 + nested
            else:
                count += self._check_shape(walker, named, node.selection_set, depth)
        return count

    @staticmethod
    def _node_selection(walker: CostWalker, connection_type, connection_node: FieldNode):
        for child in walker.fields(connection_type, connection_node.selection_set):
            if child.name.value == "nodes":
                return get_named_type(connection_type.fields["nodes"].type), child.selection_set
            if child.name.value == "edges":
                edge_type = get_named_type(connection_type.fields["edges"].type)
                for edge_child in walker.fields(edge_type, child.selection_set):
                    if edge_child.name.value == "node":
                        return get_named_type(edge_type.fields["node"].type), edge_child.selection_set
        return None, None

    # ---- execution ---------------------------------------------------------------------------
    def _run(self, context, operation: BulkOperation, walker: BulkQuery, root: FieldNode) -> None:
        store = context.store
        operation.status = "RUNNING"
        path = os.path.join(self.results_dir, f"bulk-{operation.id}-{secrets.token_hex(8)}.jsonl")
        try:
            lines = None
            if parallel.worth_it(
                context, root, self._arguments(root, self.schema.query_type.fields[root.name.value]), self.parallel_from
            ):
                try:
                    lines, size, roots = parallel.write_products(context, operation.query, path)
                    operation.writers = parallel.worker_count()
                except (OSError, RuntimeError, ValueError):
                    logger.warning(
                        "bulk workers failed; writing bulk operation %s in one thread", operation.id, exc_info=True
                    )
            if lines is None:
                lines, size, roots = self.write(context, walker, root, path, operation)
        except GraphQLError as exc:  # the token may not read what the query asks for
            operation.status = "FAILED"
            operation.error_code = (
                "ACCESS_DENIED" if (exc.extensions or {}).get("code") == "ACCESS_DENIED" else "INTERNAL_SERVER_ERROR"
            )
            operation.completed_at = store.clock.now()
            self.emit_finish(store, operation)
            return
        except Exception:  # a failed run is reported the way Shopify does, not raised into a thread
            logger.exception("bulk operation %s failed", operation.id)
            operation.status = "FAILED"
            operation.error_code = "INTERNAL_SERVER_ERROR"
            operation.completed_at = store.clock.now()
            self.emit_finish(store, operation)
            return
        operation.object_count = lines
        operation.root_object_count = roots
        operation.file_size = size
        operation.result_path = path
        operation.result_token = secrets.token_urlsafe(16)
        operation.completed_at = store.clock.now()
        operation.status = "CANCELED" if operation.cancel_requested else "COMPLETED"
        self._expire_old_results(store)
        self.emit_finish(store, operation)

    @staticmethod
    def _expire_old_results(store) -> None:
        """Keep the newest results per shop on disk; older ones expire (Shopify's do after 7 days)."""
        with store.lock:
            finished = sorted((op for op in store.bulk_operations.values() if op.result_path), key=lambda op: op.id)
            for operation in finished[:-KEPT_RESULTS]:
                with contextlib.suppress(OSError):
                    os.remove(operation.result_path)
                operation.result_path = operation.result_token = None
                operation.status = "EXPIRED"

    def write(
        self,
        context,
        walker: BulkQuery,
        root: FieldNode,
        path: str,
        operation: BulkOperation | None = None,
        index_range: range | None = None,
    ) -> tuple[int, int, int]:
        """Write the JSONL of the query whose top-level field is `root`; -> (lines, bytes, root objects)."""
        info = BulkInfo(context=context, schema=self.schema)
        writer = _JsonlWriter(path)
        roots = 0
        try:
            field_def = self.schema.query_type.fields[root.name.value]
            connection_type = get_named_type(field_def.type)
            node_type, node_selection = self._node_selection(walker, connection_type, root)
            args = self._arguments(root, field_def)
            for item in self._root_items(info, root.name.value, field_def, args, index_range):
                if operation is not None and operation.cancel_requested:
                    break
                roots += 1
                self._emit(walker, info, node_type, node_selection, item, None, writer)
                if operation is not None:
                    operation.object_count = writer.lines
                    operation.root_object_count = roots
        finally:
            writer.close()
        return writer.lines, writer.size, roots

    def _arguments(self, node: FieldNode, field_def) -> dict:
        args = {}
        walker = CostWalker(self.schema, {}, {})
        for name in field_def.args:
            value = walker.argument(node, field_def, name)
            if value is not None:
                args[name] = value
        args.pop("first", None)
        args.pop("last", None)
        return args

    def _root_items(self, info: BulkInfo, name: str, field_def, args: dict, index_range: range | None = None):
        info.field_name = name
        if name == "products":
            require_scope(info, "read_products")
            if index_range is not None:  # one worker's share of the catalog, in id order
                matches = product_matcher(info, args.get("query"))
                for index in index_range:
                    if info.context.store.exists(index) and (product := matches(index)) is not None:
                        yield product
                return
            # Streamed straight from the store so 100,000 products never sit in memory at once.
            for _key, product in product_source(info, args.get("query"), args.get("sortKey"))(
                None, bool(args.get("reverse"))
            ):
                yield product
            return
        result = field_def.resolve(None, info, **args)
        yield from result["nodes"]

    def _emit(self, walker: BulkQuery, info: BulkInfo, object_type, selection_set, source, parent_id, writer) -> None:
        """Write `source` as one line, then each object of its connections as lines of their own."""
        row: dict[str, Any] = {}
        nested: list[tuple[FieldPlan, Any]] = []
        self._fill(walker, info, object_type, selection_set, source, row, nested)
        if parent_id is not None:
            row["__parentId"] = parent_id
        writer.write(row)
        for plan, owner in nested:
            info.field_name = plan.name
            result = plan.resolve(owner, info, **plan.args)
            for child in result["nodes"]:
                self._emit(walker, info, plan.node_type, plan.node_selection, child, row.get("id"), writer)

    def _fill(self, walker, info, object_type, selection_set, source, row, nested) -> None:
        runtime_type = object_type
        if not isinstance(object_type, GraphQLObjectType):
            runtime_type = self.schema.get_type(resolve_type(source, info, None))
        for plan in self._plan(walker, runtime_type, selection_set):
            kind = plan.kind
            if kind == "leaf":
                info.field_name = plan.name
                value = plan.resolve(source, info, **plan.args) if plan.args else plan.resolve(source, info)
                coerce = plan.coerce
                if coerce is None or value is None:
                    row[plan.key] = value
                else:
                    row[plan.key] = [coerce(v) for v in value] if isinstance(value, list) else coerce(value)
            elif kind == "connection":
                # Its objects become lines of their own, children of the nearest line (this one).
                nested.append((plan, source))
            elif kind == "typename":
                row[plan.key] = runtime_type.name
            else:
                info.field_name = plan.name
                value = plan.resolve(source, info, **plan.args) if plan.args else plan.resolve(source, info)
                if value is None:
                    row[plan.key] = None
                elif isinstance(value, list):
                    items = []
                    for item in value:
                        child: dict[str, Any] = {}
                        self._fill(walker, info, plan.named, plan.selection, item, child, [])
                        items.append(child)
                    row[plan.key] = items
                else:
                    child = {}
                    self._fill(walker, info, plan.named, plan.selection, value, child, nested)
                    row[plan.key] = child

    def _plan(self, walker: BulkQuery, runtime_type, selection_set) -> list[FieldPlan]:
        """What to do for each selected field of `runtime_type`, worked out once per query."""
        key = (runtime_type.name, id(selection_set))
        plans = walker.plans.get(key)
        if plans is not None:
            return plans
        plans = []
        for node in _fields_for(walker, runtime_type, selection_set):
            response_key = node.alias.value if node.alias else node.name.value
            if node.name.value == "__typename":
                plans.append(FieldPlan(key=response_key, name="__typename", kind="typename"))
                continue
            field_def = runtime_type.fields.get(node.name.value)
            if field_def is None:
                continue
            named = get_named_type(field_def.type)
            args = {
                name: value for name in field_def.args if (value := walker.argument(node, field_def, name)) is not None
            }
            plan = FieldPlan(
                key=response_key,
                name=node.name.value,
                resolve=field_def.resolve or _attribute(node.name.value),
                args=args,
                named=named,
                selection=node.selection_set,
            )
            if _is_connection(field_def):
                args.pop("first", None)
                args.pop("last", None)
                plan.kind = "connection"
                plan.node_type, plan.node_selection = self._node_selection(walker, named, node)
                if plan.node_type is None:
                    continue
            elif is_leaf_type(named):
                plan.kind = "leaf"
                plan.coerce = (
                    None
                    if named.name in PLAIN_SCALARS or isinstance(named, GraphQLEnumType)
                    else named.coerce_output_value
                )
            else:
                plan.kind = "object"
            plans.append(plan)
        walker.plans[key] = plans
        return plans


# Scalars whose resolved values are already JSON-ready: no coercion needed on the hot path.
PLAIN_SCALARS = {"String", "ID", "Boolean", "Int", "Float", "HTML", "URL", "Money", "Decimal", "UnsignedInt64"}


@dataclass
class FieldPlan:
    key: str
    name: str
    kind: str = "leaf"  # leaf | object | connection | typename
    resolve: Any = None
    args: dict = field(default_factory=dict)
    named: Any = None
    selection: Any = None
    coerce: Any = None
    node_type: Any = None
    node_selection: Any = None


def _fields_for(walker: CostWalker, runtime_type, selection_set):
    """Fields that apply to `runtime_type`: inline fragments and spreads on other types are skipped."""
    if selection_set is None:
        return
    interfaces = {i.name for i in getattr(runtime_type, "interfaces", [])}
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            yield selection
        elif isinstance(selection, InlineFragmentNode):
            condition = selection.type_condition.name.value if selection.type_condition else None
            if condition is None or condition == runtime_type.name or condition in interfaces:
                yield from _fields_for(walker, runtime_type, selection.selection_set)
        elif isinstance(selection, FragmentSpreadNode):
            fragment = walker.fragments.get(selection.name.value)
            if fragment is not None:
                condition = fragment.type_condition.name.value
                if condition == runtime_type.name or condition in interfaces:
                    yield from _fields_for(walker, runtime_type, fragment.selection_set)


def _attribute(field_name: str):
    """The default resolver for one field, specialised ahead of time (the hot path of a bulk run)."""
    if field_name == "id":
        return lambda source, info: source["id"] if type(source) is dict else source.gid
    if field_name == "legacyResourceId":
        return lambda source, info: source.get(field_name) if type(source) is dict else str(source.id)
    attribute = snake(field_name)
    return lambda source, info: source.get(field_name) if type(source) is dict else getattr(source, attribute, None)


class _JsonlWriter:
    """One JSON object per line, as Shopify writes them (compact, UTF-8). orjson: serialising is
    the largest single cost of a bulk run after resolving the fields."""

    def __init__(self, path: str) -> None:
        self._file = open(path, "wb", buffering=1 << 20)
        self.lines = 0
        self.size = 0

    def write(self, row: dict) -> None:
        line = orjson.dumps(row, default=str, option=orjson.OPT_APPEND_NEWLINE)
        self._file.write(line)
        self.lines += 1
        self.size += len(line)

    def close(self) -> None:
        if not self._file.closed:
            self._file.close()
