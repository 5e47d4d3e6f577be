"""A local imitation of TikTok Shop's Open API (202309+) and its auth server.

`create_app()` returns the ASGI app (`tokbridge sandbox tiktok --port 8101`); `app.state.sandbox`
holds the shop's true state for tests. Open API calls are checked and answered as TikTok does;
`/sandbox/...` is the unsigned control API for tests and demos.
"""

from .app import Sandbox, create_app
from .config import SandboxConfig

__all__ = ["Sandbox", "SandboxConfig", "create_app"]
