"""Bulk operations: start a query, learn when it is done, stream its JSONL result.

Shopify writes every node of a bulk query as one JSON line; nested connection children get a
`__parentId` and come after their parent (not necessarily right after: grouping is off by
default). `read_catalog` turns such a file into the neutral catalog stream of
`tokbridge.channels.base` without holding the file in memory.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

import httpx
import orjson

from tokbridge.channels.base import CatalogItem, ImageOf, LevelOf, VariantOf
from tokbridge.channels.shopify import mapping, queries
from tokbridge.channels.shopify.client import ShopifyClient
from tokbridge.channels.shopify.errors import GraphQLError, PermanentError, ShopifyUnavailable

FINISHED = frozenset({"COMPLETED", "FAILED", "CANCELED", "EXPIRED"})


class BulkOperationFailed(PermanentError):
    pass


class BulkOperationPending(ShopifyUnavailable):
    """Not finished yet: look again after `retry_after` (or wait for `bulk_operations/finish`)."""


@dataclass(frozen=True, slots=True)
class BulkOperation:
    id: str
    status: str
    error_code: str | None = None
    object_count: int = 0
    root_object_count: int = 0
    url: str | None = None
    partial_data_url: str | None = None

    @property
    def finished(self) -> bool:
        return self.status in FINISHED

    @classmethod
    def from_node(cls, node: dict) -> BulkOperation:
        return cls(
            id=node["id"],
            status=node.get("status") or "CREATED",
            error_code=node.get("errorCode"),
            object_count=int(node.get("objectCount") or 0),
            root_object_count=int(node.get("rootObjectCount") or 0),
            url=node.get("url"),
            partial_data_url=node.get("partialDataUrl"),
        )


def start(client: ShopifyClient, query: str) -> BulkOperation:
    payload = client.mutate(queries.BULK_RUN_QUERY, {"query": query}, "bulkOperationRunQuery")
    return BulkOperation.from_node(payload["bulkOperation"])


def status(client: ShopifyClient, operation_id: str) -> BulkOperation:
    node = client.query(queries.BULK_OPERATION, {"id": operation_id}).get("node")
    if not node:
        raise GraphQLError(f"bulk operation {operation_id} not found")
    return BulkOperation.from_node(node)


def current(client: ShopifyClient) -> BulkOperation | None:
    nodes = (client.query(queries.CURRENT_BULK_OPERATION).get("bulkOperations") or {}).get("nodes") or []
    return BulkOperation.from_node(nodes[0]) if nodes else None


def cancel(client: ShopifyClient, operation_id: str) -> None:
    client.mutate(queries.BULK_CANCEL, {"id": operation_id}, "bulkOperationCancel")


def check_finished(operation: BulkOperation, *, retry_after: float = 5.0) -> BulkOperation:
    """The operation if it completed; BulkOperationPending while it runs; BulkOperationFailed otherwise.

    A worker calls this after `status(...)` (or on the `bulk_operations/finish` webhook) and
    reschedules itself on BulkOperationPending instead of sleeping.
    """
    if not operation.finished:
        raise BulkOperationPending(f"bulk operation {operation.id} is {operation.status}", retry_after=retry_after)
    if operation.status != "COMPLETED":
        raise BulkOperationFailed(f"bulk operation {operation.id} ended {operation.status} ({operation.error_code})")
    return operation


def wait(
    client: ShopifyClient,
    operation_id: str,
    *,
    timeout: float = 3600.0,
    poll_interval: float = 0.5,
    max_poll_interval: float = 10.0,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> BulkOperation:
    """Poll until finished (CLI and bench only: workers use `check_finished`)."""
    deadline = clock() + timeout
    interval = poll_interval
    while True:
        operation = status(client, operation_id)
        if operation.finished:
            return check_finished(operation)
        if clock() >= deadline:
            raise BulkOperationPending(f"bulk operation {operation_id} still {operation.status} after {timeout}s")
        sleep(interval)
        interval = min(interval * 1.5, max_poll_interval)


def stream_lines(url: str, *, http: httpx.Client | None = None, timeout: float = 60.0, skip: int = 0) -> Iterator[dict]:
    """The JSON objects of a JSONL file, read in chunks as they arrive; the first `skip` lines are
    passed over unparsed (a read resumed from a checkpoint).

    The URL is a signed download link: no access token is sent with it.
    """
    client = http or httpx.Client()
    try:
        with client.stream("GET", url, timeout=timeout, follow_redirects=True) as response:
            if response.status_code >= 500:
                raise ShopifyUnavailable(f"bulk result download answered {response.status_code}")
            if response.status_code != 200:
                raise BulkOperationFailed(f"bulk result download answered {response.status_code}")
            yield from parse_jsonl(response.iter_bytes(1 << 20), skip=skip)
    except httpx.TransportError as exc:
        raise ShopifyUnavailable(f"bulk result download failed: {type(exc).__name__}") from None
    finally:
        if http is None:
            client.close()


def parse_jsonl(chunks: Iterable[bytes], *, skip: int = 0) -> Iterator[dict]:
    """JSON objects from JSONL chunks; a line split across two chunks is joined first. The first
    `skip` non-blank lines are counted, not parsed.

    orjson, because parsing is the largest single cost of a catalog import."""
    rest = b""
    loads = orjson.loads
    for chunk in chunks:
        lines = (rest + chunk).split(b"\n")
        rest = lines.pop()
        for line in lines:
            if line and not line.isspace():
                if skip:
                    skip -= 1
                    continue
                yield loads(line)
    if rest and not rest.isspace() and not skip:
        yield loads(rest)


def _kind(gid: str) -> str:
    # "gid://shopify/ProductVariant/123" -> "ProductVariant"
    return gid[14 : gid.find("/", 14)] if gid.startswith("gid://shopify/") else ""


def read_catalog(lines: Iterable[dict]) -> Iterator[CatalogItem]:
    """The neutral catalog stream of a `queries.bulk_catalog_query` result.

    Stock levels come inline with their variant (aliased per location). Memory stays flat: the
    only state kept is an image counter per product (media carry no position of their own).
    """
    image_counts: dict[str, int] = {}
    for line in lines:
        yield from _line_items(line, image_counts)


def read_catalog_from(lines: Iterable[dict], *, first_line: int, checkpoint_every: int) -> Iterator[CatalogItem | int]:
    """`read_catalog` of the lines after `first_line` (those before were read by an earlier attempt),
    with the number of lines read so far yielded every `checkpoint_every` lines: where to resume.

    Image counters start again at a resume (see `CatalogCheckpoint`): an image of a product whose line
    came before `first_line` is numbered from 1 again, which the importer offsets."""
    image_counts: dict[str, int] = {}
    line_number = first_line
    for line in lines:
        yield from _line_items(line, image_counts)
        line_number += 1
        if line_number % checkpoint_every == 0:
            yield line_number


def _line_items(line: dict, image_counts: dict[str, int]) -> Iterator[CatalogItem]:
    parent = line.get("__parentId")
    if parent is None:
        yield mapping.product(line)
        return
    kind = line.get("__typename") or _kind(line.get("id", ""))
    if kind == "ProductVariant":
        variant = mapping.variant(line, 0)
        levels, variant.inventory_levels = variant.inventory_levels, []
        yield VariantOf(parent, variant)
        for level in levels:
            yield LevelOf(variant.external_id, level)
    elif kind == "InventoryLevel":  # from a query with a nested inventoryLevels connection
        yield LevelOf(parent, mapping.level(line))
    elif kind in ("MediaImage", "Video", "ExternalVideo", "Model3d"):
        position = image_counts[parent] = image_counts.get(parent, 0) + 1
        image = mapping.image_of(line, position)
        if image is not None:
            yield ImageOf(parent, image)
