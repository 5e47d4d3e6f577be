"""POST /admin/api/{version}/graphql.json: authentication, faults, cost, throttling, execution."""

from __future__ import annotations

import asyncio
import json
import re
import uuid

from graphql import GraphQLError, NoDeprecatedCustomRule, OperationDefinitionNode, execute, parse, validate
from graphql.execution.values import get_variable_values
from graphql.language import FieldNode, FragmentDefinitionNode, OperationType
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from .cost import CostWalker, QueryShapeError
from .resolving import RequestContext, default_resolver
from .sandbox import Sandbox
from .shops import ShopNotFound, resolve_shop
from .variable_errors import shopify_variable_errors

# Shopify's answer to a request that asked for a deprecated field or argument: it still works, flagged.
DEPRECATED_HEADER = "X-Shopify-API-Deprecated-Reason"
DEPRECATION_DOCS = "https://shopify.dev/api/usage/versioning#deprecation-practices"
INVALID_TOKEN = {"errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"}
DOCS = "https://shopify.dev/api/usage/rate-limits"
VERSION_FORMAT = re.compile(r"^(\d{4}-(01|04|07|10)|unstable)$")


def shopify_json(body: dict, status: int = 200, headers: dict | None = None) -> Response:
    return JSONResponse(body, status_code=status, headers={"X-Request-Id": str(uuid.uuid4()), **(headers or {})})


async def injected_fault(sandbox: Sandbox) -> Response | None:
    faults = sandbox.faults
    if faults.script:
        kind = faults.script.pop(0)
    else:
        roll = sandbox.fault_random.random()
        kind = ""
        if roll < faults.error_rate:
            kind = str(faults.error_status)
        elif roll < faults.error_rate + faults.throttle_rate:
            kind = "429"
        elif roll < faults.error_rate + faults.throttle_rate + faults.timeout_rate:
            kind = "timeout"
    if not kind or kind == "ok":
        return None
    if kind == "timeout":
        await asyncio.sleep(faults.timeout_seconds)
        return shopify_json({"errors": "Gateway Timeout"}, 504)
    if kind == "429":
        return shopify_json(
            {
                "errors": "Exceeded 2 calls per second for api client. Reduce request rates to resume uninterrupted service."
            },
            429,
            {"Retry-After": faults.retry_after},
        )
    status = int(kind)
    message = {500: "Internal Server Error", 502: "Bad Gateway", 503: "Unavailable Shop", 504: "Gateway Timeout"}.get(
        status, "Error"
    )
    return shopify_json({"errors": message}, status)


async def answer_fault(sandbox: Sandbox, context: RequestContext, answer: Response) -> Response:
    """A mutation ran (the order exists, the stock moved); its answer may still be lost or late."""
    faults = sandbox.faults
    if not set(context.executed_mutations) & set(faults.answer_fault_fields):
        return answer
    if faults.answer_script:
        kind = faults.answer_script.pop(0)
    else:
        roll = (
            sandbox.fault_random.random()
            if (faults.drop_answer_rate or faults.delay_answer_rate or faults.timeout_answer_rate)
            else 1.0
        )
        kind = ""
        if roll < faults.drop_answer_rate:
            kind = "drop_answer"
        elif roll < faults.drop_answer_rate + faults.delay_answer_rate:
            kind = "delay_answer"
        elif roll < faults.drop_answer_rate + faults.delay_answer_rate + faults.timeout_answer_rate:
            kind = "timeout_answer"
    if kind == "drop_answer":
        return shopify_json({"errors": "Bad Gateway"}, 502)
    if kind == "timeout_answer":
        await asyncio.sleep(faults.timeout_seconds)
        return shopify_json({"errors": "Gateway Timeout"}, 504)
    if kind == "delay_answer":
        await asyncio.sleep(faults.delay_seconds)
    return answer


async def graphql_endpoint(request: Request) -> Response:
    sandbox: Sandbox = request.app.state.sandbox
    version = request.path_params["version"]
    if not VERSION_FORMAT.match(version):
        return shopify_json({"errors": "Not Found"}, 404)
    # An unsupported but well-formed version is served by the oldest supported one, as Shopify does.
    served_version = version if version in sandbox.config.api_versions else sandbox.config.api_versions[0]
    headers = {"X-Shopify-API-Version": served_version}
    try:
        store = resolve_shop(request, sandbox, create=False)
    except ShopNotFound:
        return shopify_json({"errors": "Not Found"}, 404, headers)
    grant = sandbox.authenticate(request.headers.get("X-Shopify-Access-Token"), store.domain)
    if grant is None:
        return shopify_json(INVALID_TOKEN, 401, headers)
    fault = await injected_fault(sandbox)
    if fault is not None:
        return fault
    raw = await request.body()
    content_type = request.headers.get("content-type", "")
    try:
        if content_type.startswith("application/graphql"):
            payload = {"query": raw.decode()}
        else:
            payload = json.loads(raw)
        query = payload["query"]
        if not isinstance(query, str):
            raise TypeError
        variables = payload.get("variables") or {}
        if not isinstance(variables, dict):
            raise TypeError
    except (ValueError, KeyError, TypeError, UnicodeDecodeError):
        return shopify_json({"errors": {"query": "Required parameter missing or invalid"}}, 400, headers)
    context = RequestContext(
        sandbox=sandbox,
        store=store,
        base_url=str(request.base_url).rstrip("/"),
        api_version=served_version,
        scopes=grant.scopes,
    )
    body = await run_in_threadpool(run_query, sandbox, context, query, variables, payload.get("operationName"))
    if context.uses_deprecated:
        headers[DEPRECATED_HEADER] = DEPRECATION_DOCS
    return await answer_fault(sandbox, context, shopify_json(body, 200, headers))


def run_query(
    sandbox: Sandbox, context: RequestContext, query: str, variables: dict, operation_name: str | None
) -> dict:
    bucket = sandbox.buckets[context.store.domain]
    try:
        document = parse(query)
    except GraphQLError as exc:
        return {"errors": [exc.formatted]}
    errors = validate(sandbox.schema, document)
    if errors:
        return {"errors": [e.formatted for e in errors]}
    context.uses_deprecated = bool(validate(sandbox.schema, document, [NoDeprecatedCustomRule]))
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    chosen = [o for o in operations if operation_name is None or (o.name and o.name.value == operation_name)]
    if len(chosen) != 1:
        return {
            "errors": [
                {
                    "message": "An operation name is required"
                    if operation_name is None
                    else f'No operation named "{operation_name}"'
                }
            ]
        }
    operation = chosen[0]
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    # Variables are checked before costing, which reads `first`/`last` through them.
    coerced = get_variable_values(sandbox.schema, operation.variable_definitions or [], variables)
    if isinstance(coerced, list):
        return {
            "errors": shopify_variable_errors(sandbox.schema, operation, variables) or [e.formatted for e in coerced]
        }
    walker = CostWalker(sandbox.schema, fragments, coerced.coerced)
    try:
        requested = walker.operation_cost(operation)
    except QueryShapeError as exc:
        return {
            "errors": [
                {
                    "message": str(exc),
                    "locations": [{"line": exc.node.loc.start_token.line, "column": exc.node.loc.start_token.column}]
                    if exc.node.loc
                    else [],
                    "path": exc.path,
                }
            ]
        }
    except (GraphQLError, TypeError, ValueError) as exc:
        return {"errors": [{"message": str(exc)}]}
    max_cost = sandbox.config.max_query_cost
    if requested > max_cost:
        return {
            "errors": [
                {
                    "message": f"Query cost is {requested}, which exceeds the single query max cost limit ({max_cost}).",
                    "extensions": {
                        "code": "MAX_COST_EXCEEDED",
                        "cost": requested,
                        "maxCost": max_cost,
                        "documentation": DOCS,
                    },
                }
            ],
            "extensions": {
                "cost": {"requestedQueryCost": requested, "actualQueryCost": None, "throttleStatus": bucket.status()}
            },
        }
    if not bucket.try_take(requested):
        return {
            "errors": [{"message": "Throttled", "extensions": {"code": "THROTTLED", "documentation": DOCS}}],
            "extensions": {
                "cost": {"requestedQueryCost": requested, "actualQueryCost": None, "throttleStatus": bucket.status()}
            },
        }
    result = execute(
        sandbox.schema,
        document,
        root_value=None,
        context_value=context,
        variable_values=variables,
        operation_name=operation_name,
        field_resolver=default_resolver,
    )
    if operation.operation == OperationType.MUTATION:
        context.executed_mutations = tuple(
            node.name.value for node in operation.selection_set.selections if isinstance(node, FieldNode)
        )
    actual = min(walker.actual_cost(operation, result.data), requested)
    bucket.refund(requested - actual)
    body: dict = {}
    if result.errors:
        body["errors"] = [e.formatted for e in result.errors]
    body["data"] = result.data
    extensions: dict = {
        "cost": {"requestedQueryCost": requested, "actualQueryCost": actual, "throttleStatus": bucket.status()}
    }
    if context.search_warnings:
        extensions["search"] = context.search_warnings
    body["extensions"] = extensions
    return body
