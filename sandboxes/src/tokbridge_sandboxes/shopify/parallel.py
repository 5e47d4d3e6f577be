"""Large product bulk runs, written by several processes at once.

One Python thread writes about 7,000 products a second; a 100,000-product export would keep a
single core busy for 15 s. Past `SandboxConfig.bulk_parallel_from` products each worker process writes the JSONL of
one slice of the id range from a copy of the catalog state, and the slices are joined in order,
so the file is the same as a single writer's.
"""

from __future__ import annotations

import json
import os
import pickle
import shutil
import subprocess
import sys
from pathlib import Path

WORKER_MODULE = "tokbridge_sandboxes.shopify.bulk_worker"
MAX_WORKERS = 4


def worker_count() -> int:
    return min(len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1, MAX_WORKERS)


def worth_it(context, root, args: dict, parallel_from: int) -> bool:
    return (
        root.name.value == "products"
        and args.get("sortKey") in (None, "ID")
        and not args.get("reverse")
        and context.store.product_index_limit >= parallel_from
        and worker_count() > 1
    )


def write_products(context, query: str, path: str) -> tuple[int, int, int]:
    from .bulk import BulkInfo
    from .resolving import require_scope

    require_scope(BulkInfo(context=context, schema=None, field_name="products"), "read_products")
    workers = worker_count()
    limit = context.store.product_index_limit
    step = -(-limit // workers)
    snapshot = context.store.catalog_snapshot()
    jobs = [
        {
            "snapshot": snapshot,
            "query": query,
            "start": start,
            "stop": min(start + step, limit),
            "path": f"{path}.part{n}",
            "base_url": context.base_url,
            "api_version": context.api_version,
            "scopes": context.scopes,
        }
        for n, start in enumerate(range(0, limit, step))
    ]
    # Fresh interpreters, not forks (the parent runs server threads whose locks a fork would copy),
    # and not multiprocessing (which re-imports the caller's __main__ in every child).
    # The children import this package the way this process did, even without an installed copy.
    package_root = str(Path(__file__).resolve().parents[3])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [package_root, os.environ.get("PYTHONPATH")]))}
    children = [
        subprocess.Popen([sys.executable, "-m", WORKER_MODULE], stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env)
        for _ in jobs
    ]
    for child, job in zip(children, jobs):
        child.stdin.write(pickle.dumps(job))
        child.stdin.close()
    results = []
    for child in children:
        output = child.stdout.read()
        if child.wait() != 0:
            raise RuntimeError(f"bulk worker exited with {child.returncode}")
        results.append(json.loads(output))
    with open(path, "wb") as joined:
        for job in jobs:
            with open(job["path"], "rb") as part:
                shutil.copyfileobj(part, joined, 1 << 20)
            os.remove(job["path"])
    return tuple(sum(values) for values in zip(*results))  # type: ignore[return-value]
