"""Serve an ASGI app over real HTTP on a free local port, for the length of a test."""

from tokbridge_sandboxes.serving import free_port
from tokbridge_sandboxes.serving import serve_in_thread as serve

__all__ = ["free_port", "serve"]
