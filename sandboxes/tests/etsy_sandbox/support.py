"""Checking a sandbox answer against Etsy's OpenAPI document, with openapi-core."""

from __future__ import annotations

import httpx

ETSY_HOST = "https://openapi.etsy.com"  # the document's server: answers are checked as if they came from it


def check_contract(openapi, response: httpx.Response) -> None:
    """Raise if `response` is not what the document promises for its request's operation and status."""
    from openapi_core.testing import MockRequest, MockResponse

    request = response.request
    args: dict[str, list[str]] = {}
    for key, value in request.url.params.multi_items():
        args.setdefault(key, []).append(value)
    mock_request = MockRequest(
        ETSY_HOST,
        request.method,
        request.url.path,
        args=args,
        headers=dict(request.headers),
        data=request.content,
        content_type=request.headers.get("content-type", "application/json"),
    )
    mock_response = MockResponse(
        response.content,
        status_code=response.status_code,
        content_type=response.headers.get("content-type", "application/json"),
        headers=dict(response.headers),
    )
    openapi.validate_response(mock_request, mock_response)
