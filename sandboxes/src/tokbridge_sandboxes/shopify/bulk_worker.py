"""A bulk worker process: `python -m tokbridge_sandboxes.shopify.bulk_worker` reads one pickled job
on stdin (see `parallel.py`), writes its slice of the JSONL and prints (lines, bytes, root objects)."""

from __future__ import annotations

import json
import os
import pickle
import sys

from graphql import OperationDefinitionNode, parse
from graphql.language import FragmentDefinitionNode

from .bulk import BulkQuery, BulkRunner
from .graphql_api import build_admin_schema
from .resolving import RequestContext
from .store import ShopStore


def write_slice(job: dict) -> tuple[int, int, int]:
    """In a worker process: the JSONL of products [start, stop) for this query."""
    schema = build_admin_schema()
    store = ShopStore.from_catalog_snapshot(job["snapshot"])
    context = RequestContext(
        sandbox=None, store=store, base_url=job["base_url"], api_version=job["api_version"], scopes=job["scopes"]
    )
    document = parse(job["query"])
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    operation = next(d for d in document.definitions if isinstance(d, OperationDefinitionNode))
    walker = BulkQuery(schema, fragments, {})
    root = next(walker.fields(schema.query_type, operation.selection_set))
    runner = BulkRunner(schema, os.path.dirname(job["path"]), emit_finish=None)
    return runner.write(context, walker, root, job["path"], index_range=range(job["start"], job["stop"]))


if __name__ == "__main__":
    finished = write_slice(pickle.load(sys.stdin.buffer))
    sys.stdout.write(json.dumps(finished))
