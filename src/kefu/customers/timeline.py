"""A customer's story in one list: conversations, orders, refunds and notes, newest first.

Four queries whatever the customer's history (the customer, then the newest `limit` of
each kind), merged in Python.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import F
from django.utils.translation import gettext as _

from kefu.chat.models import Conversation, Status
from kefu.customers import archive
from kefu.customers.models import CustomerNote
from kefu.customers.rules import money
from kefu.orders.models import Order, OrderStatus
from kefu.shops.models import Membership

REFUND_STATUSES = (OrderStatus.REFUNDING, OrderStatus.REFUNDED)
# Entries at the same moment: a refund reads above its order, the order above a note.
_KIND_RANK = {"refund": 0, "order": 1, "conversation": 2, "note": 3}


@dataclass(frozen=True)
class TimelineEntry:
    """One thing that happened with the customer, ready to show."""

    kind: str  # conversation, order, refund, note
    at: dt.datetime
    title: str
    detail: str
    note_id: int | None = None  # notes only: for the delete button
    can_delete: bool = False  # notes only: whether the actor may delete it


def customer_timeline(
    *, actor: Membership, customer_id: int, limit: int = 50
) -> list[TimelineEntry]:
    """The customer's conversations, orders, refunds and notes, newest first (at most `limit`)."""
    customer = archive.get_customer_for(actor=actor, customer_id=customer_id)
    shop_id = actor.shop_id
    entries: list[TimelineEntry] = []

    conversations = (
        Conversation.objects.filter(shop_id=shop_id, visitor__customer_id=customer.id)
        .select_related("assignee")
        .order_by("-created_at", "-id")[:limit]
    )
    entries += [_conversation_entry(c) for c in conversations]

    orders = Order.objects.filter(shop_id=shop_id, customer_id=customer.id).order_by(
        F("created_at").desc(nulls_last=True), "-id"
    )[:limit]
    for order in orders:
        at = order.created_at or order.paid_at or order.imported_at
        entries.append(_order_entry(order, at))
        if order.refund_amount > 0 or order.status in REFUND_STATUSES:
            entries.append(_refund_entry(order, at))

    notes = (
        CustomerNote.objects.filter(shop_id=shop_id, customer_id=customer.id)
        .select_related("author")
        .order_by("-created_at", "-id")[:limit]
    )
    entries += [
        TimelineEntry(
            kind="note",
            at=note.created_at,
            title=_("备注 · %(author)s")
            % {"author": archive.note_author(note)},
            detail=note.text,
            note_id=note.id,
            can_delete=archive.may_delete_note(actor, note),
        )
        for note in notes
    ]

    entries.sort(key=lambda e: (e.at, -_KIND_RANK[e.kind]), reverse=True)
    return entries[:limit]


def _conversation_entry(conversation: Conversation) -> TimelineEntry:
    status = Status(conversation.status).label if conversation.status in Status.values else ""
    parts = [_("%(n)d 条消息") % {"n": conversation.last_seq}]
    if conversation.assignee is not None:
        parts.append(_("接待：%(name)s") % {"name": conversation.assignee.display_name})
    if conversation.last_message_preview:
        parts.append(_("最后一句：%(text)s") % {"text": conversation.last_message_preview})
    return TimelineEntry(
        kind="conversation",
        at=conversation.created_at,
        title=_("会话 #%(id)d · %(status)s") % {"id": conversation.id, "status": status},
        detail=" · ".join(parts),
    )


def _order_entry(order: Order, at: dt.datetime) -> TimelineEntry:
    status = OrderStatus(order.status).label if order.status in OrderStatus.values else ""
    return TimelineEntry(
        kind="order",
        at=at,
        title=_("下单 %(amount)s · %(status)s") % {"amount": money(order.amount), "status": status},
        detail=_("订单 %(no)s%(title)s")
        % {"no": order.order_no, "title": f" · {order.title}" if order.title else ""},
    )


def _refund_entry(order: Order, at: dt.datetime) -> TimelineEntry:
    # The platforms' exports carry no refund time: the refund is shown with its order.
    amount = order.refund_amount if order.refund_amount > 0 else order.amount
    status = OrderStatus(order.status).label if order.status in OrderStatus.values else ""
    return TimelineEntry(
        kind="refund",
        at=at,
        title=_("退款 %(amount)s") % {"amount": money(amount)},
        detail=_("订单 %(no)s · %(status)s") % {"no": order.order_no, "status": status},
    )
