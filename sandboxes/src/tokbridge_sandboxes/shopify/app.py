"""The ASGI app: Admin API, OAuth, charge confirmation, the admin's order page, CDN images, bulk results
and the control API."""

from __future__ import annotations

import contextlib
import os

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Route

from . import control, ids
from .admin_api import graphql_endpoint
from .admin_pages import order_page
from .catalog import image_png
from .charges import confirm_charge
from .config import SandboxConfig
from .oauth import access_token, authorize
from .sandbox import Sandbox


async def cdn_image(request: Request) -> Response:
    sandbox: Sandbox = request.app.state.sandbox
    store = sandbox.shops.get(request.path_params["shop"])
    image_id = request.path_params["image_id"]
    if store is None or not image_id.isdigit():
        return JSONResponse({"errors": "Not Found"}, status_code=404)
    index, _position = ids.split_media_id(int(image_id))
    product = store.product(index) if index >= 0 else None
    image = next((i for i in product.images if i.id == int(image_id)), None) if product else None
    if image is None:
        return JSONResponse({"errors": "Not Found"}, status_code=404)
    body = image_png(image.width, image.height, image.id % 97)
    return Response(body, media_type="image/png", headers={"Cache-Control": "public, max-age=31536000"})


async def bulk_result(request: Request) -> Response:
    sandbox: Sandbox = request.app.state.sandbox
    token = request.path_params["token"]
    for store in list(sandbox.shops.values()):
        for operation in list(store.bulk_operations.values()):
            if operation.result_token == token and operation.result_path and os.path.exists(operation.result_path):
                return FileResponse(operation.result_path, media_type="application/jsonl")
    # Google Cloud Storage answers an unknown or expired signed URL with an XML error; JSON is enough here.
    return JSONResponse({"error": "NoSuchKey"}, status_code=404)


def create_app(config: SandboxConfig | None = None) -> Starlette:
    """Build the sandbox app; without `config`, settings come from SHOPIFY_SANDBOX_* variables."""
    sandbox = Sandbox(config or SandboxConfig())

    @contextlib.asynccontextmanager
    async def lifespan(_app):
        yield
        sandbox.close()

    admin = []
    for prefix in ("", "/shops/{shop}"):
        admin += [
            Route(prefix + "/admin/api/{version}/graphql.json", graphql_endpoint, methods=["POST"]),
            Route(prefix + "/admin/oauth/authorize", authorize),
            Route(prefix + "/admin/oauth/access_token", access_token, methods=["POST"]),
            Route(
                prefix + "/admin/charges/{charge_id}/confirm_recurring_application_charge",
                confirm_charge,
                methods=["GET", "POST"],
            ),
            Route(prefix + "/admin/orders/{order_id}", order_page),
        ]
    routes = admin + [
        Route("/cdn/shop/files/{shop}/{image_id}.png", cdn_image),
        Route("/sandbox-bulk/{token}/{filename}", bulk_result),
        *control.routes,
    ]
    app = Starlette(routes=routes, lifespan=lifespan)
    app.state.sandbox = sandbox
    return app
