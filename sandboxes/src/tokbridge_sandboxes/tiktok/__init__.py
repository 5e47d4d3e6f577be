"""A local imitation of TikTok Shop's Open API (202309+) and its auth server.

`create_app()` returns the ASGI app (`tokbridge sandbox tiktok --port 8101`); `app.state.sandbox`
holds the shop's true state for tests. Open API calls are checked and answered as TikTok does;
`/sandbox/...` is the unsigned control API for tests and demos (see `control.py`).

One app serves both TikTok hosts: point `tiktok_api_base_url` and `tiktok_auth_base_url` at it.
The auth server answers `/api/v2/token/get`, `/api/v2/token/refresh` and the seller's authorize
page at `/oauth/authorize?app_key=...&state=...` (or `/open/authorize?service_id=...`), which
redirects to `TIKTOK_SANDBOX_REDIRECT_URL` with `code` and `state`. `GET /sandbox/state` shows the
shops, their ciphers and a ready access token for the seed seller.
"""

from .app import Sandbox, create_app
from .config import SandboxConfig

__all__ = ["Sandbox", "SandboxConfig", "create_app"]
