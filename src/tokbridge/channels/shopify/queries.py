"""The GraphQL documents the adapter sends, in one place (Admin API, see settings.API_VERSION)."""

# The whole catalog as one bulk operation. Connections: products, media, variants (three of the
# five allowed, nested two deep). Stock per location cannot be a fourth, nested connection
# (products > variants > inventoryLevels is three deep), so each location's level is asked for by
# alias, `level_<n>: inventoryLevel(locationId: ...)`: see `bulk_catalog_query`.
BULK_CATALOG_TEMPLATE = """
{
  products {
    edges {
      node {
        __typename id title handle status vendor productType tags descriptionHtml updatedAt
        options { id name optionValues { name } }
        media {
          edges { node { __typename id mediaContentType ... on MediaImage { image { url altText } } } }
        }
        variants {
          edges {
            node {
              __typename id title position sku barcode price compareAtPrice
              selectedOptions { name value }
              inventoryItem {
                id tracked
                measurement { weight { value unit } }
                %(levels)s
              }
            }
          }
        }
      }
    }
  }
}
"""

LEVEL_ALIAS_PREFIX = "level_"


def bulk_catalog_query(location_ids: list[str]) -> str:
    return BULK_CATALOG_TEMPLATE % {"levels": _levels_by_alias(location_ids)}


# groupObjects false (Shopify's default, said aloud): children come as lines of their own with `__parentId`,
# which `bulk.read_catalog` reads as they arrive; grouping is slower and times out more often.
BULK_RUN_QUERY = """
mutation RunBulk($query: String!) {
  bulkOperationRunQuery(query: $query, groupObjects: false) {
    bulkOperation { id status }
    userErrors { field message code }
  }
}
"""

BULK_OPERATION_FIELDS = (
    "id status errorCode objectCount rootObjectCount fileSize url partialDataUrl createdAt completedAt"
)

BULK_OPERATION = f"""
query BulkOperation($id: ID!) {{
  node(id: $id) {{ ... on BulkOperation {{ {BULK_OPERATION_FIELDS} }} }}
}}
"""

# The newest bulk query of the app (`currentBulkOperation` is deprecated for this filter).
CURRENT_BULK_OPERATION = f"""
query CurrentBulk {{
  bulkOperations(first: 1, query: "operation_type:query", sortKey: CREATED_AT) {{ nodes {{ {BULK_OPERATION_FIELDS} }} }}
}}
"""

BULK_CANCEL = """
mutation CancelBulk($id: ID!) {
  bulkOperationCancel(id: $id) { bulkOperation { id status } userErrors { field message } }
}
"""

_VARIANT_FIELDS = """
id title position sku barcode price compareAtPrice
selectedOptions { name value }
inventoryItem { id tracked measurement { weight { value unit } } %(levels)s }
"""

# Small pages keep the requested cost under Shopify's 1,000-point ceiling per query.
PRODUCTS_PAGE_TEMPLATE = """
query ProductsPage($first: Int!, $after: String, $query: String) {
  products(first: $first, after: $after, query: $query, sortKey: UPDATED_AT) {
    pageInfo { hasNextPage endCursor }
    nodes {
      id title handle status vendor productType tags descriptionHtml updatedAt
      options { id name optionValues { name } }
      media(first: 10) { nodes { id mediaContentType ... on MediaImage { image { url altText } } } }
      variants(first: 10) {
        pageInfo { hasNextPage endCursor }
        nodes { %(variant)s }
      }
    }
  }
}
"""

# One product, e.g. after a products/update webhook (payloads may arrive late or out of order:
# reading the current state is simpler and safer than applying them).
PRODUCT_TEMPLATE = """
query Product($id: ID!) {
  product(id: $id) {
    id title handle status vendor productType tags descriptionHtml updatedAt
    options { id name optionValues { name } }
    media(first: 10) { nodes { id mediaContentType ... on MediaImage { image { url altText } } } }
    variants(first: 10) {
      pageInfo { hasNextPage endCursor }
      nodes { %(variant)s }
    }
  }
}
"""


def product_query(location_ids: list[str]) -> str:
    return PRODUCT_TEMPLATE % {"variant": _VARIANT_FIELDS % {"levels": _levels_by_alias(location_ids)}}


# The rest of a product's variants when it has more than fit in a page.
PRODUCT_VARIANTS_PAGE_TEMPLATE = """
query ProductVariants($id: ID!, $after: String) {
  product(id: $id) {
    variants(first: 25, after: $after) {
      pageInfo { hasNextPage endCursor }
      nodes { %(variant)s }
    }
  }
}
"""


def _levels_by_alias(location_ids: list[str]) -> str:
    return " ".join(
        f'{LEVEL_ALIAS_PREFIX}{n}: inventoryLevel(locationId: "{location_id}") '
        '{ location { id } quantities(names: ["available"]) { name quantity } }'
        for n, location_id in enumerate(location_ids)
    )


def products_page_query(location_ids: list[str]) -> str:
    return PRODUCTS_PAGE_TEMPLATE % {"variant": _VARIANT_FIELDS % {"levels": _levels_by_alias(location_ids)}}


def product_variants_query(location_ids: list[str]) -> str:
    return PRODUCT_VARIANTS_PAGE_TEMPLATE % {"variant": _VARIANT_FIELDS % {"levels": _levels_by_alias(location_ids)}}


ORDER_CREATE = """
mutation CreateOrder($order: OrderCreateOrderInput!, $options: OrderCreateOptionsInput) {
  orderCreate(order: $order, options: $options) {
    order { id name sourceIdentifier totalPriceSet { shopMoney { amount currencyCode } } }
    userErrors { field message code }
  }
}
"""

# Finds an order we already created for a channel order (orderCreate itself is not idempotent).
ORDER_BY_SOURCE = """
query OrderBySource($query: String!) {
  orders(first: 5, query: $query) {
    nodes { id name sourceName sourceIdentifier totalPriceSet { shopMoney { amount currencyCode } } }
  }
}
"""

ORDER_FULFILMENTS = """
query OrderFulfilments($id: ID!) {
  order(id: $id) {
    id
    cancelledAt
    fulfillmentOrders(first: 5) {
      nodes {
        id status
        assignedLocation { location { id } }
        lineItems(first: 30) { nodes { id totalQuantity remainingQuantity lineItem { id } } }
      }
    }
    fulfillments(first: 5) {
      id status createdAt
      trackingInfo { company number url }
      fulfillmentLineItems(first: 30) {
        nodes { id quantity lineItem { id sku variant { id } } }
      }
    }
  }
}
"""

# Orders changed since a point (fulfilled, tracking changed, cancelled): the polling baseline.
ORDERS_CHANGED = """
query OrdersChanged($first: Int!, $after: String, $query: String!) {
  orders(first: $first, after: $after, query: $query, sortKey: UPDATED_AT) {
    nodes {
      id updatedAt cancelledAt cancelReason
      fulfillments(first: 5) {
        id status createdAt
        trackingInfo { company number url }
        fulfillmentLineItems(first: 20) {
          nodes { id quantity lineItem { id sku variant { id } } }
        }
      }
    }
    pageInfo { hasNextPage endCursor }
  }
}
"""

ORDER_CANCEL = """
mutation CancelOrder($orderId: ID!, $reason: OrderCancelReason!, $refundMethod: OrderCancelRefundMethodInput!,
                     $restock: Boolean!, $notifyCustomer: Boolean) {
  orderCancel(orderId: $orderId, reason: $reason, refundMethod: $refundMethod, restock: $restock,
              notifyCustomer: $notifyCustomer) {
    job { id done }
    orderCancelUserErrors { field message code }
  }
}
"""

ORDER_LINE_ITEMS = """
query OrderLineItems($id: ID!) {
  order(id: $id) {
    id
    lineItems(first: 250) { nodes { id sku quantity currentQuantity variant { id } } }
  }
}
"""

# From 2026-04 refundCreate needs an idempotency key (the @idempotent directive).
REFUND_CREATE = """
mutation RefundOrder($input: RefundInput!, $key: String!) {
  refundCreate(input: $input) @idempotent(key: $key) {
    refund { id note refundLineItems(first: 250) { nodes { quantity lineItem { id } } } }
    userErrors { field message }
  }
}
"""

INVENTORY_SET = """
mutation SetInventory($input: InventorySetQuantitiesInput!, $key: String!) {
  inventorySetQuantities(input: $input) @idempotent(key: $key) {
    inventoryAdjustmentGroup { reason changes { name delta quantityAfterChange } }
    userErrors { field message code }
  }
}
"""

INVENTORY_ADJUST = """
mutation AdjustInventory($input: InventoryAdjustQuantitiesInput!, $key: String!) {
  inventoryAdjustQuantities(input: $input) @idempotent(key: $key) {
    inventoryAdjustmentGroup { reason changes { name delta quantityAfterChange } }
    userErrors { field message code }
  }
}
"""

LOCATIONS = """
query Locations($after: String) {
  locations(first: 250, after: $after) { pageInfo { hasNextPage endCursor } nodes { id name isActive } }
}
"""

# --- billing (app subscriptions) --------------------------------------------------------------

APP_SUBSCRIPTION_FIELDS = "id name status test currentPeriodEnd"

APP_SUBSCRIPTION_CREATE = f"""
mutation AppSubscriptionCreate($name: String!, $lineItems: [AppSubscriptionLineItemInput!]!, $returnUrl: URL!,
                               $test: Boolean, $trialDays: Int) {{
  appSubscriptionCreate(name: $name, lineItems: $lineItems, returnUrl: $returnUrl, test: $test,
                        trialDays: $trialDays) {{
    appSubscription {{ {APP_SUBSCRIPTION_FIELDS} }}
    confirmationUrl
    userErrors {{ field message }}
  }}
}}
"""

APP_SUBSCRIPTION = f"""
query AppSubscription($id: ID!) {{
  node(id: $id) {{ ... on AppSubscription {{ {APP_SUBSCRIPTION_FIELDS} }} }}
}}
"""

ACTIVE_SUBSCRIPTIONS = f"""
query ActiveSubscriptions {{
  currentAppInstallation {{ activeSubscriptions {{ {APP_SUBSCRIPTION_FIELDS} }} }}
}}
"""

APP_SUBSCRIPTION_CANCEL = f"""
mutation AppSubscriptionCancel($id: ID!) {{
  appSubscriptionCancel(id: $id) {{
    appSubscription {{ {APP_SUBSCRIPTION_FIELDS} }}
    userErrors {{ field message }}
  }}
}}
"""

# What the dashboard says about the connected store.
SHOP_DETAILS = "query ShopDetails { shop { name myshopifyDomain currencyCode } }"
