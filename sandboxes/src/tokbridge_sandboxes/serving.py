"""Serve an ASGI app with uvicorn in a background thread: the demo runs both sandboxes this way, and
tests use it to put every app on real HTTP."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def serve_in_thread(app, port: int | None = None, host: str = "127.0.0.1") -> Iterator[str]:
    """Yields the base URL once the server accepts connections; stops it on exit."""
    port = port or free_port()
    # No access log: TikTok's token URLs carry the app secret in their query string. No log set-up of
    # uvicorn's own either (log_config=None): its lines go through the host's root handler, which in
    # TokBridge masks secrets.
    server = uvicorn.Server(
        uvicorn.Config(
            app, host=host, port=port, log_level="warning", access_log=False, lifespan="auto", log_config=None
        )
    )
    thread = threading.Thread(target=server.run, name=f"server-{port}", daemon=True)
    thread.start()
    for _ in range(1000):  # up to ~10 s: wait on the thread, not on a guess
        if server.started:
            break
        if not thread.is_alive():
            raise RuntimeError(f"server on port {port} could not start (is the port in use?)")
        thread.join(0.01)
    else:
        server.should_exit = True
        raise RuntimeError(f"server on port {port} did not start")
    try:
        yield f"http://{host}:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
