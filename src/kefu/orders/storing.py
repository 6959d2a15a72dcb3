"""Write read orders set-based: per chunk one lookup, the customers, one upsert."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace

from kefu.customers import services as customer_services
from kefu.orders.models import Order
from kefu.orders.order_rows import OrderDraft

CHUNK = 1000
Progress = Callable[[int, int], None]
_UPDATED_FIELDS = [
    "customer", "status", "status_text", "amount", "refund_amount", "title", "created_at",
    "paid_at", "receiver_name", "receiver_phone", "receiver_address", "imported_at",
]


def merge_repeated_orders(drafts: Sequence[OrderDraft]) -> list[OrderDraft]:
    """One draft per order number, in file order.

    JD (and Taobao's item report) write one row per item of an order, repeating the
    order's own columns; the items' titles are joined, the rest comes from the first row.
    """
    merged: dict[str, OrderDraft] = {}
    for draft in drafts:
        first = merged.get(draft.order_no)
        if first is None:
            merged[draft.order_no] = draft
        elif draft.title and draft.title not in first.title.split("；"):
            title = f"{first.title}；{draft.title}" if first.title else draft.title
            merged[draft.order_no] = replace(first, title=title[:500])
    return list(merged.values())


def store_orders(
    *, shop_id: int, platform: str, drafts: Sequence[OrderDraft], progress: Progress | None = None,
) -> tuple[int, int]:
    """Insert new orders and update known ones (by order number); (created, updated).

    The caller holds the transaction. Re-storing the same drafts changes nothing but
    `imported_at`, so an import run twice leaves one copy of each order.
    """
    created = updated = 0
    total = len(drafts)
    for start in range(0, total, CHUNK):
        chunk = drafts[start : start + CHUNK]
        numbers = [d.order_no for d in chunk]
        known = set(
            Order.objects.filter(shop_id=shop_id, platform=platform, order_no__in=numbers)
            .values_list("order_no", flat=True)
        )
        buyers = {
            d.buyer: customer_services.BuyerDetails(
                name=d.receiver_name, phone=d.receiver_phone, address=d.receiver_address
            )
            for d in reversed(chunk)  # the first order of a buyer in the chunk wins
            if d.buyer
        }
        customer_ids = customer_services.link_customers(
            shop_id=shop_id, platform=platform, buyers=buyers
        )
        Order.objects.bulk_create(
            [_order(shop_id, platform, d, customer_ids.get(d.buyer)) for d in chunk],
            update_conflicts=True,
            unique_fields=["shop", "platform", "order_no"],
            update_fields=_UPDATED_FIELDS,
        )
        updated += len(known)
        created += len(chunk) - len(known)
        if progress is not None:
            progress(start + len(chunk), total)
    return created, updated


def _order(shop_id: int, platform: str, d: OrderDraft, customer_id: int | None) -> Order:
    return Order(
        shop_id=shop_id, platform=platform, customer_id=customer_id, order_no=d.order_no,
        status=d.status, status_text=d.status_text, amount=d.amount,
        refund_amount=d.refund_amount, title=d.title, created_at=d.created_at,
        paid_at=d.paid_at, receiver_name=d.receiver_name, receiver_phone=d.receiver_phone,
        receiver_address=d.receiver_address,
    )
