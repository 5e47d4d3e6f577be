"""The ASGI app: Open API v3, OAuth, listing images and the control API."""

from __future__ import annotations

import contextlib

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from . import api, control, oauth
from .config import SandboxConfig
from .images import image_file
from .sandbox import Sandbox


def create_app(config: SandboxConfig | None = None) -> Starlette:
    """Build the sandbox app; without `config`, settings come from ETSY_SANDBOX_* variables."""
    sandbox = Sandbox(config or SandboxConfig())

    @contextlib.asynccontextmanager
    async def lifespan(_app):
        yield
        sandbox.close()

    async def http_error(request: Request, exc: HTTPException) -> Response:
        if exc.status_code == 405:
            return JSONResponse({"error": "Method not allowed"}, status_code=405)
        return JSONResponse({"error": "Resource not found"}, status_code=404)

    routes = [
        Route("/oauth/connect", oauth.connect, methods=["GET", "POST"]),
        Route("/v3/public/oauth/token", oauth.token, methods=["POST"]),
        *api.routes(),
        Route("/images/{listing_id}/{image_id}/{size}.png", image_file),
        *control.routes,
    ]
    app = Starlette(routes=routes, lifespan=lifespan, exception_handlers={404: http_error, 405: http_error})
    app.state.sandbox = sandbox
    return app
