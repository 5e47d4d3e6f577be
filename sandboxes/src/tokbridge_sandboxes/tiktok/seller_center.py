"""A one-page stand-in for TikTok Shop Seller Center, where a seller fixes listing prerequisites.

The connector's prerequisite steps link to Seller Center (`TIKTOK_SELLER_CENTER_URL`); in the demo
that setting points here, so a merchant can follow the link, "add the return warehouse" with one
button, go back and press Check again. Every Seller Center path lands on the same page.
"""

from __future__ import annotations

import html

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from .state import PREREQUISITE_ITEMS, PREREQUISITE_REASONS

PREFIX = "/seller"


def make_seller_center_routes(sandbox) -> list[Route]:
    state = sandbox.state

    async def page(request: Request) -> Response:
        with state.lock:
            shops = [(shop.id, shop.name, shop.region, sorted(shop.failing_checks)) for shop in state.shops.values()]
        return HTMLResponse(_render(shops, request.query_params.get("done", "")))

    async def fix(request: Request) -> Response:
        form = await request.form()
        shop_id, item = str(form.get("shop_id", "")), str(form.get("item", ""))
        with state.lock:
            shop = state.shops.get(shop_id)
            if shop is None or item not in PREREQUISITE_ITEMS:
                return HTMLResponse("<h1>Unknown shop or item</h1>", status_code=400)
            shop.failing_checks.discard(item)
        return RedirectResponse(f"{PREFIX}?done={item}", status_code=303)

    return [
        Route(PREFIX + "/fix", fix, methods=["POST"]),
        Route(PREFIX, page, methods=["GET"]),
        Route(PREFIX + "/{path:path}", page, methods=["GET"]),
    ]


def _render(shops: list[tuple[str, str, str, list[str]]], done: str) -> str:
    sections = []
    for shop_id, name, region, failing in shops:
        if failing:
            items = "".join(
                f"""<li><p><strong>{html.escape(item)}</strong>: {html.escape(PREREQUISITE_REASONS[item])}</p>
<form method="post" action="{PREFIX}/fix"><input type="hidden" name="shop_id" value="{html.escape(shop_id)}">
<input type="hidden" name="item" value="{html.escape(item)}"><button type="submit">Mark as done</button></form></li>"""
                for item in failing
            )
            body = f"<ul>{items}</ul>"
        else:
            body = "<p>Every listing prerequisite is met.</p>"
        sections.append(f"<section><h2>{html.escape(name)} ({html.escape(region)})</h2>{body}</section>")
    notice = (
        f"<p role=status>{html.escape(done)} is done. Go back to TokBridge and choose Check again.</p>" if done else ""
    )
    return f"""<!doctype html><html><head><meta charset=utf-8><title>Seller Center - TikTok Shop sandbox</title>
<meta name=viewport content="width=device-width, initial-scale=1"></head>
<body><h1>Seller Center (sandbox)</h1>{notice}{"".join(sections)}</body></html>"""
