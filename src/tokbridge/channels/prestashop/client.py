"""One Webservice request to a merchant's PrestaShop: the key as the HTTP Basic user with an empty
password, JSON answers (`output_format=JSON`), XML bodies for writes, PrestaShop's version read from the
`PSWS-Version` header, and every failure as a kit error kind in plain words (never the key, never the
shop's raw answer beyond its own error message).

PrestaShop is self-hosted: there is no published rate limit, so none is applied here beyond the
timeout; a 429 or 503 from a proxy in front of the shop is a wait like any other 5xx.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any, Self
from xml.etree.ElementTree import Element

import httpx

from tokbridge.channels.prestashop import xml
from tokbridge.channels.prestashop.errors import AuthenticationError, NotFound, Refused, ShopUnavailable

log = logging.getLogger(__name__)

QueryValue = str | int | None


def api_url(address: str) -> str:
    return address.rstrip("/") + "/api"


class PrestaShopClient:
    """Requests for one shop address and Webservice key; `shop_id` (multistore) goes on every request."""

    def __init__(
        self,
        address: str,
        key: str,
        *,
        timeout: float = 30.0,
        shop_id: str | None = None,
        language_id: str | None = None,
        http: httpx.Client | None = None,
    ):
        self.address = address.rstrip("/")
        self.base_url = api_url(self.address)
        self.shop_id = shop_id
        self.language_id = language_id
        self.http = http or httpx.Client(timeout=timeout, auth=httpx.BasicAuth(key, ""))
        self._owns_http = http is None
        self.version: str | None = None  # PSWS-Version of the last answer

    def close(self) -> None:
        if self._owns_http:
            self.http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # --- reads -------------------------------------------------------------------------------------

    def get(self, path: str, query: Mapping[str, QueryValue] | None = None, *, what: str) -> Any:
        """A JSON answer: `{"products": [...]}` for a list (or `[]`, PrestaShop's empty list), `{"product":
        {...}}` for one."""
        response = self._send("GET", path, query, what=what)
        return _json(response, what)

    def rows(self, resource: str, query: Mapping[str, QueryValue] | None = None, *, what: str) -> list[dict]:
        """A list's rows: `[]` when PrestaShop answers its empty list."""
        data = self.get(resource, query, what=what)
        if isinstance(data, dict):
            found = data.get(resource)
            if isinstance(found, list):
                return found
            if isinstance(found, dict):  # some answers give one row as an object
                return [found]
        return []

    def one(
        self,
        resource: str,
        singular: str,
        record_id: str | int,
        *,
        what: str,
        query: Mapping[str, QueryValue] | None = None,
    ) -> dict:
        data = self.get(f"{resource}/{int(record_id)}", query, what=what)
        found = data.get(singular) if isinstance(data, dict) else None
        if not isinstance(found, dict):
            raise NotFound(f"PrestaShop has no such record ({what}).")
        return found

    def get_xml(self, path: str, query: Mapping[str, QueryValue] | None = None, *, what: str) -> tuple[Element, bytes]:
        response = self._send("GET", path, query, what=what, output="XML")
        try:
            return xml.parse(response.content), response.content
        except ValueError:
            raise Refused(f"The answer ({what}) is not a PrestaShop Webservice's.") from None

    def binary(self, path: str, *, what: str) -> httpx.Response:
        return self._send("GET", path, None, what=what, output=None)

    # --- writes ------------------------------------------------------------------------------------

    def write(
        self, method: str, path: str, body: bytes, *, what: str, query: Mapping[str, QueryValue] | None = None
    ) -> Any:
        response = self._send(method, path, query, what=what, body=body)
        return _json(response, what) if response.content else None

    def create(self, resource: str, singular: str, body: bytes, *, what: str) -> dict:
        data = self.write("POST", resource, body, what=what)
        found = data.get(singular) if isinstance(data, dict) else None
        if not isinstance(found, dict) or not found.get("id"):
            raise ShopUnavailable(f"PrestaShop's answer carried no {singular} id ({what}).", retry_after=30.0)
        return found

    # --- the one request ---------------------------------------------------------------------------

    def _send(
        self,
        method: str,
        path: str,
        query: Mapping[str, QueryValue] | None,
        *,
        what: str,
        body: bytes | None = None,
        output: str | None = "JSON",
    ) -> httpx.Response:
        params = _params(query or {})
        if output:
            params.append(("output_format", output))
        if self.shop_id and not any(name == "id_shop" for name, _ in params):
            params.append(("id_shop", self.shop_id))
        headers = {"content-type": "application/xml"} if body is not None else {}
        url = self.base_url + "/" + path.lstrip("/") if path else self.base_url + "/"
        try:
            response = self.http.request(method, url, params=tuple(params), content=body, headers=headers)
        except httpx.TimeoutException:
            log.warning("prestashop %s timed out", what)
            raise ShopUnavailable(f"The PrestaShop shop did not answer in time ({what}).", retry_after=10.0) from None
        except httpx.TransportError as exc:
            log.warning("prestashop %s connection error: %s", what, type(exc).__name__)
            raise ShopUnavailable(f"The PrestaShop shop could not be reached ({what}).", retry_after=10.0) from None
        self.version = response.headers.get("psws-version") or self.version
        log.info("prestashop %s %s -> %s", method, path or "/", response.status_code)
        if response.status_code < 300:
            return response
        raise _error(response, what)


def _params(query: Mapping[str, QueryValue]) -> list[tuple[str, str]]:
    return [(name, str(value)) for name, value in query.items() if value is not None]


def one_of(values: Sequence[str | int]) -> str:
    """A filter value matching any of `values`: `[1|5|9]`."""
    return "[" + "|".join(str(value) for value in values) + "]"


def _json(response: httpx.Response, what: str) -> Any:
    if not response.content:
        return None
    try:
        return response.json()
    except ValueError:
        raise ShopUnavailable(f"PrestaShop's answer could not be read ({what}).", retry_after=30.0) from None


def error_messages(response: httpx.Response) -> list[str]:
    """PrestaShop's own messages, from a JSON or XML error body; short, never our request."""
    messages: list[str] = []
    try:
        data = response.json()
    except ValueError:
        messages = xml.errors(response.content)
    else:
        if isinstance(data, dict):
            messages = [
                str(error.get("message") or "").strip() for error in data.get("errors") or [] if isinstance(error, dict)
            ]
    return [message[:300] for message in messages if message]


def _error(response: httpx.Response, what: str) -> Exception:
    status = response.status_code
    messages = error_messages(response)
    said = messages[0] if messages else f"HTTP {status}"
    if status in (429, 503) or status >= 500:
        return ShopUnavailable(
            f"The PrestaShop shop answered with an error ({what}); it will be tried again.", retry_after=30.0
        )
    if status in (401, 403):
        return AuthenticationError(
            f"PrestaShop refused TokBridge's Webservice key ({what}): {said}. Check in your shop's back office "
            "(Advanced Parameters > Webservice) that the key is enabled and has every permission TokBridge "
            "needs, then connect the shop again."
        )
    if status == 404:
        return NotFound(f"PrestaShop has no such record ({what}).")
    return Refused(f"PrestaShop refused this ({what}): {said}", messages or [said])
