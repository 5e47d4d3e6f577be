"""The adapter and the sandbox held to Shopify's published Admin schema of the pinned version.

The schema comes from Shopify's npm package (tests/support/shopify_admin_schema.py). Three checks:
- every GraphQL document the adapter sends, bulk inner queries included, validates against it and uses
  no deprecated field, argument or enum value; the enum values it sends as variables exist, undeprecated;
- nothing escapes that list: every call that sends a document names one of them;
- the sandbox's schema is Shopify's wherever it defines something: no invented type, field, argument or
  enum value, and the same kinds, wrapping and argument types (a required argument or input field of
  Shopify's is required by the sandbox too).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLUnionType,
    build_schema,
    is_required_argument,
    is_required_input_field,
    parse,
    specified_rules,
    validate,
)
from graphql.validation import NoDeprecatedCustomRule

import tokbridge.channels.shopify as adapter_package
from tests.support.shopify_admin_schema import SchemaUnavailable, admin_schema
from tokbridge.channels.shopify import connect, queries, store
from tokbridge.channels.shopify.settings import API_VERSION
from tokbridge_sandboxes.shopify.schema_sdl import SDL

ADAPTER_DIR = Path(adapter_package.__file__).parent
LOCATIONS = ["gid://shopify/Location/1", "gid://shopify/Location/2"]
# The functions of queries.py that build a document for the shop's locations.
DOCUMENT_BUILDERS = ("bulk_catalog_query", "product_query", "products_page_query", "product_variants_query")
# Enum values the adapter sends in variables, by the enum that takes them.
SENT_ENUM_VALUES = {
    "WebhookSubscriptionTopic": set(connect.WEBHOOK_TOPICS),
    "OrderCancelReason": set(store.CANCEL_REASONS),
    "OrderCreateInputsInventoryBehavior": {"DECREMENT_IGNORING_POLICY"},
    "OrderCreateFinancialStatus": {"PAID", "PENDING"},
    "RefundLineItemRestockType": {"NO_RESTOCK"},
}


@pytest.fixture(scope="module")
def shopify() -> GraphQLSchema:
    try:
        return admin_schema(API_VERSION)
    except SchemaUnavailable as exc:
        pytest.fail(f"Shopify's published schema is needed for these tests: {exc}")


def adapter_documents() -> dict[str, str]:
    """Every document the adapter can send, by the name the code gives it."""
    documents = {}
    for module in (queries, connect):
        for name, value in vars(module).items():
            if isinstance(value, str) and value.lstrip().startswith(("query", "mutation", "{")) and "%(" not in value:
                documents[f"{module.__name__.rsplit('.', 1)[-1]}.{name}"] = value
    for name in DOCUMENT_BUILDERS:
        documents[f"queries.{name}()"] = getattr(queries, name)(LOCATIONS)
    return documents


def problems_in(document: str, schema: GraphQLSchema) -> list[str]:
    return [error.message for error in validate(schema, parse(document), [*specified_rules, NoDeprecatedCustomRule])]


def test_every_document_the_adapter_sends_is_valid_for_the_pinned_version(shopify):
    documents = adapter_documents()
    assert len(documents) >= 24, sorted(documents)  # the catalog, orders, stock, billing and webhook documents
    invalid = {name: problems for name, document in documents.items() if (problems := problems_in(document, shopify))}
    assert invalid == {}


def test_the_enum_values_the_adapter_sends_exist_and_are_not_deprecated(shopify):
    wrong = {}
    for enum_name, values in SENT_ENUM_VALUES.items():
        enum = shopify.type_map[enum_name]
        assert isinstance(enum, GraphQLEnumType)
        for value in sorted(values):
            if value not in enum.values:
                wrong[f"{enum_name}.{value}"] = "not in Shopify's schema"
            elif enum.values[value].deprecation_reason:
                wrong[f"{enum_name}.{value}"] = f"deprecated: {enum.values[value].deprecation_reason}"
    assert wrong == {}


def _sends_a_document(call: ast.Call) -> bool:
    return isinstance(call.func, ast.Attribute) and call.func.attr in {"query", "mutate"} and bool(call.args)


def _document_name(argument: ast.expr, module: str) -> str | None:
    """The name `adapter_documents` gives the document an argument refers to, if it refers to one."""
    if isinstance(argument, ast.Attribute) and isinstance(argument.value, ast.Name):
        return f"{argument.value.id}.{argument.attr}"
    if isinstance(argument, ast.Name):
        return f"{module}.{argument.id}"
    if isinstance(argument, ast.Call) and isinstance(argument.func, ast.Attribute):
        return f"{argument.func.value.id}.{argument.func.attr}()" if isinstance(argument.func.value, ast.Name) else None
    return None


def test_every_call_that_sends_a_document_sends_one_of_those_checked():
    known = set(adapter_documents())
    unchecked = []
    calls = 0
    for path in sorted(ADAPTER_DIR.glob("*.py")):
        if path.name == "client.py":  # the client itself sends what it is given
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and _sends_a_document(node):
                calls += 1
                name = _document_name(node.args[0], path.stem)
                if name not in known:
                    unchecked.append(f"{path.name}:{node.lineno} sends {ast.unparse(node.args[0])}")
    assert calls >= 20
    assert unchecked == []


def _differences(ours: GraphQLSchema, theirs: GraphQLSchema) -> list[str]:
    found = []
    for name, kind in ours.type_map.items():
        if name.startswith("__"):
            continue
        real = theirs.type_map.get(name)
        if real is None:
            found.append(f"type {name}: not in Shopify's schema")
            continue
        if type(real) is not type(kind):
            found.append(f"type {name}: a {type(kind).__name__[7:]} here, a {type(real).__name__[7:]} at Shopify")
            continue
        if isinstance(kind, GraphQLEnumType):
            found += [
                f"enum {name}.{value}: not in Shopify's schema" for value in kind.values if value not in real.values
            ]
        if isinstance(kind, GraphQLUnionType):
            members = {member.name for member in real.types}
            found += [
                f"union {name} | {member.name}: not at Shopify" for member in kind.types if member.name not in members
            ]
        if isinstance(kind, (GraphQLObjectType, GraphQLInterfaceType)):
            interfaces = {interface.name for interface in real.interfaces}
            found += [
                f"{name} implements {i.name}: not at Shopify" for i in kind.interfaces if i.name not in interfaces
            ]
        if isinstance(kind, GraphQLInputObjectType):
            found += [
                f"{name}.{field}: required at Shopify, missing here"
                for field, value in real.fields.items()
                if is_required_input_field(value) and field not in kind.fields
            ]
        if not isinstance(kind, (GraphQLObjectType, GraphQLInterfaceType, GraphQLInputObjectType)):
            continue
        for field_name, field in kind.fields.items():
            real_field = real.fields.get(field_name)
            if real_field is None:
                found.append(f"{name}.{field_name}: not in Shopify's schema")
                continue
            if str(field.type) != str(real_field.type):
                found.append(f"{name}.{field_name}: {field.type} here, {real_field.type} at Shopify")
            arguments = getattr(field, "args", {})
            for argument_name, argument in arguments.items():
                real_argument = real_field.args.get(argument_name)
                if real_argument is None:
                    found.append(f"{name}.{field_name}({argument_name}:): not in Shopify's schema")
                elif str(argument.type) != str(real_argument.type):
                    found.append(
                        f"{name}.{field_name}({argument_name}:): {argument.type} here, {real_argument.type} at Shopify"
                    )
            for argument_name, real_argument in getattr(real_field, "args", {}).items():
                if is_required_argument(real_argument) and argument_name not in arguments:
                    found.append(f"{name}.{field_name}({argument_name}:): required at Shopify, missing here")
    return found


def test_the_sandbox_schema_is_shopifys_wherever_it_defines_something(shopify):
    sandbox = build_schema(SDL)
    assert len(sandbox.type_map) > 150  # what the adapter and the demo use, not a token subset
    assert _differences(sandbox, shopify) == []


def test_the_comparison_finds_a_renamed_retyped_or_invented_field(shopify):
    """The check above can fail: each kind of drift is caught."""
    drifted = (
        SDL.replace("type TaxLine { title: String! rate", "type TaxLine { name: String! rate")
        .replace(
            "bulkOperationRunQuery(query: String!, groupObjects: Boolean! = false)",
            "bulkOperationRunQuery(query: String!, groupObjects: Boolean = false)",
        )
        .replace("enum BulkOperationUserErrorCode { INVALID", "enum BulkOperationUserErrorCode { NO_SUCH_FILE INVALID")
        .replace(
            "type FulfillmentOrderAssignedLocation { name: String!",
            "type FulfillmentOrderAssignedLocation { name: String",
        )
    )
    assert drifted != SDL
    found = "\n".join(_differences(build_schema(drifted), shopify))
    assert "TaxLine.name: not in Shopify's schema" in found
    assert "Mutation.bulkOperationRunQuery(groupObjects:): Boolean here, Boolean! at Shopify" in found
    assert "enum BulkOperationUserErrorCode.NO_SUCH_FILE: not in Shopify's schema" in found
    assert "FulfillmentOrderAssignedLocation.name: String here, String! at Shopify" in found


def test_a_document_shopify_would_refuse_is_found(shopify):
    """The document check can fail too: a deprecated field and an unknown one are reported."""
    assert problems_in("query { shop { name myshopifyDomain currencyCode } }", shopify) == []
    assert problems_in("query { shop { nameX } }", shopify)
    assert problems_in(queries.BULK_RUN_QUERY.replace("groupObjects: false", "groupObjects: null"), shopify)
    assert any("deprecated" in problem for problem in problems_in("query { currentBulkOperation { id } }", shopify))
