"""Mutations (inventory, orders, bulk operations, webhook subscriptions) and their read-back fields."""

from __future__ import annotations

import json
import re

from graphql import GraphQLError
from graphql.execution.values import get_directive_values

from . import ids, search
from .models import BulkOperation, Job, WebhookSubscription
from .pagination import list_source
from .resolving import by_id, page, parse_id, require_scope, version_at_least
from .store import ShopStore, StoreError
from .views import InventoryItemView

# Version from which inventory writes need `changeFromQuantity` and an @idempotent key.
IDEMPOTENCY_REQUIRED_FROM = "2026-04"
INVENTORY_REASONS = {
    "correction",
    "cycle_count_available",
    "damaged",
    "movement_created",
    "movement_updated",
    "movement_received",
    "movement_canceled",
    "other",
    "promotion",
    "quality_control",
    "received",
    "reservation_created",
    "reservation_deleted",
    "reservation_updated",
    "restock",
    "safety_stock",
    "shrinkage",
}


def bulk_url(operation: BulkOperation, info) -> str | None:
    if operation.status != "COMPLETED" or not operation.object_count or not operation.result_token:
        return None
    return f"{info.context.base_url}/sandbox-bulk/{operation.result_token}/bulk-{operation.id}.jsonl"


BULK_FIELDS = {
    "objectCount": lambda b, info: str(b.object_count),
    "rootObjectCount": lambda b, info: str(b.root_object_count),
    "fileSize": lambda b, info: str(b.file_size) if b.file_size is not None else None,
    "url": bulk_url,
    "partialDataUrl": lambda b, info: None,
}


def resolve_current_bulk_operation(_root, info, type="QUERY"):
    """Deprecated by Shopify for `bulkOperations` with a filter; still served, as Shopify serves it."""
    operations = [op for op in info.context.store.bulk_operations.values() if op.type == type]
    return max(operations, key=lambda op: op.id) if operations else None


BULK_SEARCH_FIELDS = {"created_at", "id", "operation_type", "status"}


def resolve_bulk_operations(_root, info, sortKey="CREATED_AT", **args):
    """The app's bulk operations, newest first unless `reverse`, filtered by Shopify's search syntax."""
    terms, _words = search.parse(args.get("query"))
    warned = search.warnings(terms, BULK_SEARCH_FIELDS)
    if warned:
        info.context.search_warnings = (info.context.search_warnings or []) + [
            {"path": ["bulkOperations"], "query": args.get("query"), "warnings": warned}
        ]
    match = search.matcher(
        terms,
        {
            "created_at": lambda op: op.created_at,
            "id": lambda op: op.id,
            "operation_type": lambda op: op.type.lower(),
            "status": lambda op: op.status.lower(),
        },
    )
    key = {"CREATED_AT": lambda op: (op.created_at, op.id), "COMPLETED_AT": lambda op: (op.completed_at or 0.0, op.id)}[
        sortKey
    ]
    chosen = [op for op in list(info.context.store.bulk_operations.values()) if match(op)]
    return page(list_source(chosen, key), {**args, "reverse": not args.get("reverse")})


def resolve_bulk_run_query(_root, info, query, groupObjects=False):
    sandbox = info.context.sandbox
    try:
        operation = sandbox.bulk.start(info.context, query)
    except StoreError as exc:
        return {
            "bulkOperation": None,
            "userErrors": [{"field": exc.field or ["query"], "message": str(exc), "code": exc.code}],
        }
    return {"bulkOperation": operation, "userErrors": []}


def resolve_bulk_cancel(_root, info, id):
    store = info.context.store
    number = parse_id(id, "BulkOperation")
    operation = store.bulk_operations.get(number) if number is not None else None
    if operation is None:
        return {"bulkOperation": None, "userErrors": [{"field": ["id"], "message": "Bulk operation does not exist"}]}
    if operation.status not in {"CREATED", "RUNNING"}:
        return {
            "bulkOperation": operation,
            "userErrors": [
                {"field": None, "message": f"A bulk operation cannot be canceled when it is {operation.status.lower()}"}
            ],
        }
    operation.cancel_requested = True
    operation.status = "CANCELING"
    return {"bulkOperation": operation, "userErrors": []}


def resolve_job(_root, info, id):
    job_id = id.rsplit("/", 1)[-1]
    job = info.context.store.jobs.get(job_id)
    return job


# ---- mutations ----------------------------------------------------------------------------------
def idempotency_key(info) -> str | None:
    directive = info.schema.get_directive("idempotent")
    values = get_directive_values(directive, info.field_nodes[0], info.variable_values)
    return values["key"] if values else None


def idempotent(info, arguments: dict, run, payload: str = "inventoryAdjustmentGroup"):
    """Replay the first answer for a repeated key; refuse a key reused with other arguments."""
    key = idempotency_key(info)
    store: ShopStore = info.context.store
    if key is None:
        if version_at_least(info.context.api_version, IDEMPOTENCY_REQUIRED_FROM):
            raise GraphQLError(
                f"The @idempotent directive is required for {info.field_name} from API version {IDEMPOTENCY_REQUIRED_FROM}.",
                extensions={"code": "BAD_REQUEST"},
            )
        return run()
    fingerprint = json.dumps(arguments, sort_keys=True, default=str)
    with store.lock:
        previous = store.idempotency.get((info.field_name, key))
        if previous is not None:
            if previous[0] != fingerprint:
                return {
                    payload: None,
                    "userErrors": [
                        {
                            "field": None,
                            "code": "IDEMPOTENCY_KEY_PARAMETER_MISMATCH",
                            "message": "The same idempotency key was used with different parameters.",
                        }
                    ],
                }
            return previous[1]
        result = run()
        store.idempotency[(info.field_name, key)] = (fingerprint, result)
        return result


def resolve_inventory_set_quantities(_root, info, input):
    require_scope(info, "write_inventory")
    return idempotent(info, {"input": input}, lambda: set_quantities(info, input))


def set_quantities(info, data: dict) -> dict:
    store: ShopStore = info.context.store
    modern = version_at_least(info.context.api_version, IDEMPOTENCY_REQUIRED_FROM)
    errors: list[dict] = []

    def fail(field: list, message: str, code: str | None) -> None:
        errors.append({"field": ["input", *field], "message": message, "code": code})

    name = data["name"]
    if name not in {"available", "on_hand"}:
        fail(["name"], "The quantity name must be either 'available' or 'on_hand'.", "INVALID_NAME")
    if data["reason"] not in INVENTORY_REASONS:
        fail(["reason"], "The specified reason is invalid.", "INVALID_REASON")
    reference = data.get("referenceDocumentUri")
    if reference is not None and not re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:\S+$", reference):
        fail(["referenceDocumentUri"], "The reference document URI isn't a valid URI.", "INVALID_REFERENCE_DOCUMENT")
    quantities = data["quantities"]
    if len(quantities) > 250:
        raise GraphQLError(
            "The input array size of 251 is greater than the maximum allowed of 250.",
            extensions={"code": "MAX_INPUT_SIZE_EXCEEDED"},
        )
    planned: list[tuple[int, int, int]] = []
    seen: set[tuple[int, int]] = set()
    with store.lock:
        for position, entry in enumerate(quantities):
            path = ["quantities", str(position)]
            item_id = parse_id(entry["inventoryItemId"], "InventoryItem")
            location_id = parse_id(entry["locationId"], "Location")
            if item_id is None or store.inventory_item(item_id) is None:
                fail(
                    path + ["inventoryItemId"],
                    "The specified inventory item could not be found.",
                    "INVALID_INVENTORY_ITEM",
                )
                continue
            if location_id is None or store.location(location_id) is None:
                fail(path + ["locationId"], "The specified location could not be found.", "INVALID_LOCATION")
                continue
            if not store.is_stocked(item_id, location_id):
                fail(
                    path + ["locationId"],
                    "The specified inventory item is not stocked at the location.",
                    "INVALID_LOCATION",
                )
                continue
            if (item_id, location_id) in seen:
                fail(
                    path,
                    "The combination of inventoryItemId and locationId must be unique.",
                    "NO_DUPLICATE_INVENTORY_ITEM_ID_GROUP_ID_PAIR",
                )
                continue
            seen.add((item_id, location_id))
            quantity = entry["quantity"]
            if quantity < 0 and name == "on_hand":
                fail(path + ["quantity"], "The quantity can't be negative.", "INVALID_QUANTITY_NEGATIVE")
                continue
            if quantity > 1_000_000_000:
                fail(
                    path + ["quantity"], "The quantity can't be higher than 1,000,000,000.", "INVALID_QUANTITY_TOO_HIGH"
                )
                continue
            current = store.quantity(item_id, location_id, name if name in {"available", "on_hand"} else "available")
            if modern and "changeFromQuantity" not in entry:
                fail(
                    path + ["changeFromQuantity"],
                    "changeFromQuantity is required: pass the quantity you expect, or null to skip the check.",
                    None,
                )
                continue
            expected = entry.get("changeFromQuantity")
            if expected is not None and expected != current:
                fail(
                    path + ["changeFromQuantity"],
                    "The specified compare quantity does not match the current quantity.",
                    "CHANGE_FROM_QUANTITY_STALE",
                )
                continue
            planned.append((item_id, location_id, quantity))
        if errors:
            return {"inventoryAdjustmentGroup": None, "userErrors": errors}
        changes = []
        for item_id, location_id, quantity in planned:
            delta = store.set_quantity(item_id, location_id, name, quantity)
            item = InventoryItemView(*store.inventory_item(item_id))
            location = store.location(location_id)
            for changed_name in ("available", "on_hand"):
                changes.append(
                    {
                        "name": changed_name,
                        "delta": delta,
                        "item": item,
                        "location": location,
                        "quantityAfterChange": None,
                        "ledgerDocumentUri": None if changed_name == "available" else reference,
                    }
                )
    group = {
        "id": ids.gid("InventoryAdjustmentGroup", store.new_id()),
        "createdAt": store.clock.now(),
        "reason": data["reason"],
        "referenceDocumentUri": reference,
        "changes": changes,
    }
    return {"inventoryAdjustmentGroup": group, "userErrors": []}


def resolve_inventory_adjust_quantities(_root, info, input):
    require_scope(info, "write_inventory")
    return idempotent(info, {"input": input}, lambda: adjust_quantities(info, input))


def adjust_quantities(info, data: dict) -> dict:
    """Apply deltas to `available`: what a connector does when it is not the source of truth."""
    store: ShopStore = info.context.store
    errors: list[dict] = []

    def fail(field: list, message: str, code: str | None) -> None:
        errors.append({"field": ["input", *field], "message": message, "code": code})

    if data["name"] != "available":
        fail(["name"], "The quantity name must be 'available'.", "INVALID_QUANTITY_NAME")
    if data["reason"] not in INVENTORY_REASONS:
        fail(["reason"], "The specified reason is invalid.", "INVALID_REASON")
    reference = data.get("referenceDocumentUri")
    if reference is not None and not re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:\S+$", reference):
        fail(["referenceDocumentUri"], "The reference document URI isn't a valid URI.", "INVALID_REFERENCE_DOCUMENT")
    if len(data["changes"]) > 250:
        raise GraphQLError(
            f"The input array size of {len(data['changes'])} is greater than the maximum allowed of 250.",
            extensions={"code": "MAX_INPUT_SIZE_EXCEEDED"},
        )
    planned: list[tuple[int, int, int]] = []
    with store.lock:
        for position, change in enumerate(data["changes"]):
            path = ["changes", str(position)]
            item_id = parse_id(change["inventoryItemId"], "InventoryItem")
            location_id = parse_id(change["locationId"], "Location")
            if item_id is None or store.inventory_item(item_id) is None:
                fail(
                    path + ["inventoryItemId"],
                    "The specified inventory item could not be found.",
                    "INVALID_INVENTORY_ITEM",
                )
            elif location_id is None or store.location(location_id) is None:
                fail(path + ["locationId"], "The specified location could not be found.", "INVALID_LOCATION")
            elif not store.is_stocked(item_id, location_id):
                fail(
                    path + ["locationId"],
                    "The specified inventory item is not stocked at the location.",
                    "INVALID_LOCATION",
                )
            else:
                planned.append((item_id, location_id, change["delta"]))
        if errors:
            return {"inventoryAdjustmentGroup": None, "userErrors": errors}
        changes = []
        for item_id, location_id, delta in planned:
            after = store.available(item_id, location_id) + delta
            store.set_quantity(item_id, location_id, "available", after)
            changes.append(
                {
                    "name": "available",
                    "delta": delta,
                    "quantityAfterChange": None,
                    "item": InventoryItemView(*store.inventory_item(item_id)),
                    "location": store.location(location_id),
                    "ledgerDocumentUri": None,
                }
            )
    group = {
        "id": ids.gid("InventoryAdjustmentGroup", store.new_id()),
        "createdAt": store.clock.now(),
        "reason": data["reason"],
        "referenceDocumentUri": reference,
        "changes": changes,
    }
    return {"inventoryAdjustmentGroup": group, "userErrors": []}


def adjustment_changes(group: dict, info, inventoryItemIds=None, locationIds=None, quantityNames=None):
    return [
        c
        for c in group["changes"]
        if (not inventoryItemIds or c["item"].gid in inventoryItemIds)
        and (not locationIds or c["location"].gid in locationIds)
        and (not quantityNames or c["name"] in quantityNames)
    ]


def resolve_order_create(_root, info, order, options=None):
    require_scope(info, "write_orders")
    behaviour = (options or {}).get("inventoryBehaviour") or "BYPASS"
    try:
        created = info.context.store.create_order(order, behaviour)
    except StoreError as exc:
        return {"order": None, "userErrors": [{"field": exc.field, "message": str(exc), "code": exc.code}]}
    return {"order": created, "userErrors": []}


def resolve_order_cancel(
    _root, info, orderId, reason, restock, refund=None, refundMethod=None, notifyCustomer=False, staffNote=None
):
    require_scope(info, "write_orders", "write_marketplace_orders")

    def failure(field, message, code):
        error = {"field": field, "message": message}
        return {"job": None, "orderCancelUserErrors": [{**error, "code": code}], "userErrors": [error]}

    if refund is None and refundMethod is None:
        return failure(["refund"], "Either refund or refundMethod must be provided.", "INVALID")
    number = parse_id(orderId, "Order")
    store: ShopStore = info.context.store
    if number is None or store.order(number) is None:
        return failure(["orderId"], "Order does not exist", "NOT_FOUND")
    try:
        store.cancel_order(number, reason, restock)
    except StoreError as exc:
        return failure(exc.field, str(exc), exc.code)
    # Cancellation is asynchronous at Shopify: the job reports done on the next read.
    job = Job(id=f"{store.new_id()}")
    store.jobs[job.id] = job
    answer = {"job": Job(id=job.id, done=False), "orderCancelUserErrors": [], "userErrors": []}
    job.done = True
    return answer


REFUND_RESTOCK_TYPES = {"NO_RESTOCK", "RETURN", "CANCEL", "LEGACY_RESTOCK"}


def resolve_refund_create(_root, info, input):
    """refundCreate: an @idempotent key is required from 2026-04, as for inventory writes."""
    require_scope(info, "write_orders")
    return idempotent(info, {"input": input}, lambda: refund(info, input), payload="refund")


def refund(info, data: dict) -> dict:
    store: ShopStore = info.context.store

    def failure(field: list, message: str) -> dict:
        return {"refund": None, "order": None, "userErrors": [{"field": field, "message": message}]}

    number = parse_id(data["orderId"], "Order")
    order = store.order(number) if number is not None else None
    if order is None:
        return failure(["orderId"], "Order does not exist")
    if data.get("transactions"):
        # Sandbox orders hold no Shopify payment (the buyer paid the channel): nothing to refund money from.
        return failure(["transactions", "0", "parentId"], "Parent transaction does not exist")
    lines = []
    for index, entry in enumerate(data.get("refundLineItems") or []):
        line_id = parse_id(entry["lineItemId"], "LineItem")
        location_id = parse_id(entry["locationId"], "Location") if entry.get("locationId") else None
        if line_id is None:
            return failure(["refundLineItems", str(index), "lineItemId"], "Line item does not exist")
        lines.append(
            {
                "line_item_id": line_id,
                "quantity": entry["quantity"],
                "restock_type": entry.get("restockType") or "RETURN",
                "location_id": location_id,
            }
        )
    if not lines:
        return failure(["refundLineItems"], "Refund must include line items, shipping or duties")
    try:
        created = store.refund_order(order.id, data.get("note"), lines)
    except StoreError as exc:
        return failure(exc.field, str(exc))
    return {"refund": created, "order": order, "userErrors": []}


def resolve_webhook_create(_root, info, topic, webhookSubscription):
    store: ShopStore = info.context.store
    uri = webhookSubscription.get("uri") or webhookSubscription.get("callbackUrl")
    if not uri:
        return {
            "webhookSubscription": None,
            "userErrors": [{"field": ["webhookSubscription", "uri"], "message": "Address can't be blank"}],
        }
    if not re.match(r"^(https?://|pubsub://|arn:aws:events:)", uri):
        return {
            "webhookSubscription": None,
            "userErrors": [{"field": ["webhookSubscription", "callbackUrl"], "message": "Address is invalid"}],
        }
    with store.lock:
        if any(s.topic == topic and s.uri == uri for s in store.webhook_subscriptions.values()):
            return {
                "webhookSubscription": None,
                "userErrors": [
                    {
                        "field": ["webhookSubscription", "callbackUrl"],
                        "message": "Address for this topic has already been taken",
                    }
                ],
            }
        now = store.clock.now()
        subscription = WebhookSubscription(
            id=store.new_id(),
            topic=topic,
            uri=uri,
            format=webhookSubscription.get("format") or "JSON",
            include_fields=list(webhookSubscription.get("includeFields") or []),
            filter=webhookSubscription.get("filter"),
            api_version=info.context.api_version,
            created_at=now,
            updated_at=now,
        )
        store.webhook_subscriptions[subscription.id] = subscription
    return {"webhookSubscription": subscription, "userErrors": []}


def resolve_webhook_delete(_root, info, id):
    store: ShopStore = info.context.store
    number = parse_id(id, "WebhookSubscription")
    with store.lock:
        if number is None or store.webhook_subscriptions.pop(number, None) is None:
            return {
                "deletedWebhookSubscriptionId": None,
                "userErrors": [{"field": ["id"], "message": "Webhook subscription does not exist"}],
            }
    return {"deletedWebhookSubscriptionId": id, "userErrors": []}


def resolve_webhook_subscriptions(_root, info, topics=None, uri=None, **args):
    chosen = [
        s
        for s in info.context.store.webhook_subscriptions.values()
        if (not topics or s.topic in topics) and (uri is None or s.uri == uri)
    ]
    return page(list_source(chosen, by_id), args)


WEBHOOK_FIELDS = {
    "apiVersion": lambda s, info: {"displayName": s.api_version, "handle": s.api_version, "supported": True}
}
