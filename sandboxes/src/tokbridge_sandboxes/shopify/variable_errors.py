"""Variables that do not fit their declared types, answered as Shopify (graphql-ruby) words them:

`Variable $order of type OrderCreateOrderInput! was provided invalid value for taxLines.0.rate (Expected value
to not be null)`, with `extensions.value` and `extensions.problems` [{path, explanation}]. A client sees the
same errors from the sandbox as from Shopify (a missing required input field, a country outside CountryCode).
"""

from __future__ import annotations

import re

from graphql import GraphQLEnumType, GraphQLSchema, OperationDefinitionNode, print_ast
from graphql.utilities import type_from_ast, validate_input_value

_REQUIRED_FIELD = re.compile(r"include required field '(\w+)'")
_ENUM_VALUE = re.compile(r"Value '([^']*)' does not exist in '(\w+)' enum")


def _explanation(schema: GraphQLSchema, message: str, path: list) -> tuple[list, str]:
    required = _REQUIRED_FIELD.search(message)
    if required:
        return [*path, required.group(1)], "Expected value to not be null"
    enum = _ENUM_VALUE.search(message)
    if enum and isinstance(schema.get_type(enum.group(2)), GraphQLEnumType):
        values = ", ".join(schema.get_type(enum.group(2)).values)
        return path, f'Expected "{enum.group(1)}" to be one of: {values}'
    if "non-null type" in message or "must not be null" in message:
        return path, "Expected value to not be null"
    return path, message


def shopify_variable_errors(schema: GraphQLSchema, operation: OperationDefinitionNode, variables: dict) -> list[dict]:
    errors = []
    for definition in operation.variable_definitions or []:
        name = definition.variable.name.value
        declared = type_from_ast(schema, definition.type)
        if declared is None:
            continue
        value = variables.get(name)
        problems: list[dict] = []

        def collect(error, path, problems=problems) -> None:
            where, explanation = _explanation(schema, error.message, list(path))
            problems.append({"path": where, "explanation": explanation})

        if name not in variables and definition.default_value is not None:
            continue
        validate_input_value(value, declared, collect, hide_suggestions=True)
        if not problems:
            continue
        details = ", ".join(
            f"{'.'.join(str(p) for p in problem['path'])} ({problem['explanation']})"
            if problem["path"]
            else f"({problem['explanation']})"
            for problem in problems
        )
        location = definition.loc.source.get_location(definition.loc.start) if definition.loc else None
        errors.append(
            {
                "message": f"Variable ${name} of type {print_ast(definition.type)} was provided invalid value"
                + (f" for {details}" if problems[0]["path"] else f" {details}"),
                "locations": [{"line": location.line, "column": location.column}] if location else [],
                "extensions": {"value": value, "problems": problems},
            }
        )
    return errors
