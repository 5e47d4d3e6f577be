"""The ASGI app: the Webservice under /api and the control API under /sandbox."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from . import control, webservice
from .config import SandboxConfig
from .store import Store


def create_app(config: SandboxConfig | None = None) -> Starlette:
    """Build the sandbox; without `config`, settings come from PRESTASHOP_SANDBOX_* variables."""
    store = Store(config or SandboxConfig.from_env())

    async def http_error(request: Request, exc: HTTPException) -> Response:
        return JSONResponse(
            {"error": "Not found" if exc.status_code == 404 else "Method not allowed"}, status_code=exc.status_code
        )

    app = Starlette(routes=[*webservice.routes, *control.routes], exception_handlers={404: http_error, 405: http_error})
    app.state.sandbox = store
    return app
