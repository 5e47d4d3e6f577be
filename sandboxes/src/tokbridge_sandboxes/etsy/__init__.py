"""A local Etsy: Open API v3 (the 2026-08 document) for a seller's shop, OAuth 2.0 with PKCE,
Etsy's rate limits, and Standard-Webhooks-signed webhooks.

Run it alone with `tokbridge sandbox etsy --port 8103`, or in tests with
`serve_in_thread(create_app(SandboxConfig(...)))`. The app's state is `app.state.sandbox` (a `Sandbox`).
Point a client's Open API base URL (`https://openapi.etsy.com`) and its OAuth hosts
(`https://www.etsy.com/oauth/connect`, `https://api.etsy.com/v3/public/oauth/token`) at this app.

Routes (paths, parameters and shapes as in the OpenAPI document):
  GET  /oauth/connect                 consent page (Allow / Deny post back to it); see `oauth.py`
  POST /v3/public/oauth/token         authorization_code (PKCE S256) and refresh_token (rotating)
  GET  /v3/application/openapi-ping                                   ping
  POST /v3/application/scopes                                         tokenScopes
  GET  /v3/application/users/me                          shops_r      getMe
  GET  /v3/application/users/{user_id}/shops                          getShopByOwnerUserId
  GET  /v3/application/shops/{shop_id}                                getShop
  GET  /v3/application/shops/{shop_id}/listings          listings_r   getListingsByShop
       (state, limit <= 100, offset, sort_on, sort_order, includes=Images,Inventory,Shop,Shipping,Videos)
  GET  /v3/application/shops/{shop_id}/listings/{listing_id}/properties   getListingProperties
  GET  /v3/application/shops/{shop_id}/shipping-profiles shops_r      getShopShippingProfiles
  GET  /v3/application/shops/{shop_id}/readiness-state-definitions[/{id}]  shops_r
                                                   getShopReadinessStateDefinitions / ...Definition
  GET  /v3/application/listings/{listing_id}                          getListing (includes without Inventory)
  GET  /v3/application/listings/batch?listing_ids=   (<= 100)         getListingsByListingIds
  GET  /v3/application/listings/batch/inventory?listing_ids=  listings_r  getListingsInventoryByListingIds
       results are [{listing_id, inventory}]; one unknown id makes the whole call 404
  GET  /v3/application/listings/{listing_id}/inventory   listings_r   getListingInventory
  PUT  /v3/application/listings/{listing_id}/inventory   listings_w   updateListingInventory
       (max_variations_supported=2|3; see `inventory.py` for the checks)
  GET  /v3/application/listings/{listing_id}/inventory/products/{product_id}  listings_r  getListingProduct
  GET  /v3/application/listings/{listing_id}/images[/{listing_image_id}]  getListingImages / getListingImage
  GET  /images/{listing_id}/{image_id}/{size}.png     the image files the image URLs point at
  /sandbox/...                                        the control API (see `control.py`)

Every /v3/application call needs `x-api-key: <keystring>:<shared_secret>`; the checks and their
answers are in `api.py`. Non-active listings are only visible to the owner's token.
What is not here: listing creation and updates other than inventory, receipts, uploads.
"""

from .app import create_app
from .config import SandboxConfig
from .sandbox import Sandbox, s256
from .webhooks import sign

__all__ = ["Sandbox", "SandboxConfig", "create_app", "s256", "sign"]
