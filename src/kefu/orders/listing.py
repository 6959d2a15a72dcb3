"""The shop's orders and recent imports, as the orders page lists them.

Everyone in the shop may read the orders (agents look buyers up while chatting); the
receiver's name and phone are masked for agents, as in the customer archive. Imports
(file names, bad rows with buyers' data) are for owners and supervisors.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.db.models.functions import Length

from kefu.customers import archive
from kefu.orders import importing
from kefu.orders.models import Order, OrderImport
from kefu.shops.models import Membership
from kefu.shops.services import require_role

RECENT_IMPORTS = 20


@dataclass(frozen=True)
class OrderLine:
    """One order as the actor may see it."""

    order: Order
    buyer: str
    receiver_name: str
    receiver_phone: str


def search_orders(*, actor: Membership, query: str = "") -> QuerySet[Order]:
    """The shop's orders, newest first; `query` matches the order number or buyer nickname."""
    orders = Order.objects.filter(shop_id=actor.shop_id).select_related("customer")
    query = query.strip()
    if query:
        orders = orders.filter(
            Q(order_no__icontains=query) | Q(customer__nickname__icontains=query)
        )
    return orders.order_by("-created_at", "-id")


def order_lines(*, actor: Membership, orders: list[Order]) -> list[OrderLine]:
    """The orders with the receiver's name and phone whole or masked, for this actor."""
    whole = archive.can_see_personal_data(actor)
    return [
        OrderLine(
            order=order,
            buyer=order.customer.nickname if order.customer else "",
            receiver_name=order.receiver_name if whole else archive.mask_name(order.receiver_name),
            receiver_phone=(
                order.receiver_phone if whole else archive.mask_phone(order.receiver_phone)
            ),
        )
        for order in orders
    ]


def recent_imports(*, actor: Membership, limit: int = RECENT_IMPORTS) -> list[OrderImport]:
    """The shop's latest imports (files and pushes); `error_bytes` says if an error file exists."""
    require_role(actor, *importing.IMPORTERS)
    return list(
        OrderImport.objects.filter(shop_id=actor.shop_id)
        .defer("errors", "error_file")
        .annotate(error_bytes=Length("error_file"))
        .order_by("-started_at", "-id")[:limit]
    )
