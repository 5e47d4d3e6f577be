"""The OpenAPI document says what the API really answers: FastAPI's defaults describe a 422 body the
app never sends (`invalid_request` in app.py answers `{"detail", "errors": [{loc, msg}]}`) and know
nothing of the CSRF check every unsafe call passes first, nor of the two ways a caller is known (an API
token or the session cookie)."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

REQUEST_PROBLEM = {
    "title": "RequestProblem",
    "type": "object",
    "required": ["detail"],
    "properties": {
        "detail": {"type": "string", "description": "What is wrong, in plain words"},
        "errors": {
            "type": "array",
            "description": "Each part of the request that does not fit, when the request is malformed",
            "items": {
                "type": "object",
                "required": ["loc", "msg"],
                "properties": {
                    "loc": {"type": "array", "items": {"anyOf": [{"type": "string"}, {"type": "integer"}]}},
                    "msg": {"type": "string"},
                },
            },
        },
    },
}
_PROBLEM_REF = {"$ref": "#/components/schemas/RequestProblem"}
# Two ways in (web/deps.py): a personal API token, or a signed-in browser's session cookie with its CSRF token.
SECURITY_SCHEMES = {
    "apiToken": {
        "type": "http",
        "scheme": "bearer",
        "description": "A personal API token created in Settings (API tokens): `Authorization: Bearer "
        "tbk_…`. No CSRF token is needed; a read-only token is refused on calls that "
        "change something (403).",
    },
    "session": {
        "type": "apiKey",
        "in": "cookie",
        "name": "tb_session",
        "description": "A signed-in browser's session; calls that change something also send the "
        "session's CSRF token as X-CSRF-Token (GET /api/v1/me gives it).",
    },
}
_FASTAPI_422 = "#/components/schemas/HTTPValidationError"
UNSAFE_METHODS = ("post", "put", "patch", "delete")


def describe_real_answers(app: FastAPI) -> None:
    default_openapi = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = _corrected(default_openapi())
        return app.openapi_schema

    app.openapi = openapi


def _corrected(document: dict[str, Any]) -> dict[str, Any]:
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    schemas.pop("HTTPValidationError", None)
    schemas.pop("ValidationError", None)
    schemas["RequestProblem"] = REQUEST_PROBLEM
    document["components"]["securitySchemes"] = SECURITY_SCHEMES
    document["security"] = [{"apiToken": []}, {"session": []}]
    for methods in document.get("paths", {}).values():
        for method, operation in methods.items():
            responses = operation.setdefault("responses", {})
            if "422" in responses:
                content = responses["422"].setdefault("content", {}).setdefault("application/json", {})
                declared = content.get("schema", {})
                content["schema"] = (
                    _PROBLEM_REF
                    if declared.get("$ref") in (None, _FASTAPI_422)
                    else {"anyOf": [declared, _PROBLEM_REF]}
                )
                responses["422"]["description"] = "The request is malformed or refused as it stands"
            if "requestBody" in operation:
                # A body FastAPI cannot parse at all (JSON nested too deep to read) is refused before
                # validation, with a 400.
                responses.setdefault(
                    "400",
                    {
                        "description": "The body cannot be read",
                        "content": {"application/json": {"schema": _PROBLEM_REF}},
                    },
                )
            if any(p.get("name") == "shop" and p.get("in") == "query" for p in operation.get("parameters", [])):
                # It works on one TikTok shop (web/deps.py, ShopNeeded).
                responses.setdefault(
                    "404",
                    {
                        "description": "The shop named is not one of the merchant's connected shops",
                        "content": {"application/json": {"schema": _PROBLEM_REF}},
                    },
                )
                responses.setdefault(
                    "409",
                    {
                        "description": "No TikTok shop is connected, or several are and none is chosen",
                        "content": {"application/json": {"schema": _PROBLEM_REF}},
                    },
                )
            if method in UNSAFE_METHODS:
                responses.setdefault(
                    "403",
                    {
                        "description": "The call lacks the session's CSRF token (the X-CSRF-Token header), or its API "
                        "token is read-only",
                        "content": {"application/json": {"schema": _PROBLEM_REF}},
                    },
                )
    return document
