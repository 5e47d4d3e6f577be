"""A local PrestaShop 8/9 Webservice (1.7 on request): XML in, XML or JSON out, keys with per-resource
and per-method permissions, a seeded catalog, and orders made the way PaymentModule::validateOrder makes
them, "Payment error" included.

Run it alone with `tokbridge sandbox prestashop --port 8104`, or in tests with
`serve_in_thread(create_app(SandboxConfig(...)))`. The app's state is `app.state.sandbox` (a `Store`).
The Webservice's rules are in `webservice.py`, orders in `orders.py`, the control API in `control.py`;
README.md says where the sandbox follows PrestaShop's source rather than the shared contract.

  /api/                                       the resources the key may use, with get/put/post/... flags
  /api/<resource>[/<id>]                      GET (display, filter[...], sort, limit, date, language,
                                              id_shop, schema=blank|synopsis), HEAD, POST, PUT, PATCH
                                              (8 and later), DELETE; ps_method overrides the method
  /api/images/products/<id>[/<id_image>]      image listing, the PNG file, POST upload (field `image`)
  /sandbox/...                                the control API
"""

from .app import create_app
from .config import SandboxConfig
from .store import Store

__all__ = ["SandboxConfig", "Store", "create_app"]
