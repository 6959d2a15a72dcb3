"""The customer side panel of a conversation in the workbench, as one JSON-ready dict.

It is opened with every conversation an agent clicks, so it reads a fixed number of
queries whatever the customer's history holds (tests pin the count): the conversation
with visitor and customer, then one query each for the shop's segment rules, recent
orders, open refunds, past complaints, tags and notes.

An open refund is an order in 退款中, or one still paid or shipped with a refund amount
recorded (a partial refund under way); refunded, closed and completed orders are done.
A past complaint is a customer message the coach read as a complaint.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from django.db.models import Count, Q
from django.urls import reverse
from django.utils.translation import gettext as _

from kefu.chat.models import Conversation, Message, SenderKind
from kefu.customers import archive, rules, types
from kefu.customers.models import (
    TYPE_FIELDS,
    Customer,
    CustomerNote,
    CustomerTag,
    Platform,
    Segment,
)
from kefu.errors import NotFound
from kefu.orders.models import Order, OrderStatus
from kefu.shops.models import Membership

RECENT_ORDERS = 5
OPEN_REFUNDS = 5
PAST_COMPLAINTS = 5
RECENT_NOTES = 10
OPEN_REFUND = Q(status=OrderStatus.REFUNDING) | Q(
    refund_amount__gt=0, status__in=[OrderStatus.PAID, OrderStatus.SHIPPED]
)
_ORDER_COLUMNS = ("order_no", "status", "amount", "refund_amount", "title", "created_at")


def customer_panel(*, actor: Membership, conversation_id: int) -> dict[str, Any]:
    """Who the conversation is with, as the actor may see it."""
    conv = (
        Conversation.objects.select_related("visitor__customer")
        .filter(id=conversation_id, shop_id=actor.shop_id)
        .first()
    )
    if conv is None:
        raise NotFound("no_conversation", _("找不到这个会话。"))
    customer = conv.visitor.customer
    if customer is None:
        return _unlinked(conv)
    return {
        "conversation": conv.id,
        "customer": customer_dict(customer, actor),
        "new_visitor": False,
        "can_edit_personal": archive.can_see_personal_data(actor),
        "type_choices": type_choices(),
        **_history(customer, actor),
    }


def _unlinked(conv: Conversation) -> dict[str, Any]:
    counts = Conversation.objects.filter(visitor_id=conv.visitor_id).aggregate(
        total=Count("id"), earlier=Count("id", filter=Q(id__lt=conv.id))
    )
    return {
        "conversation": conv.id,
        "customer": None,
        "new_visitor": counts["earlier"] == 0,
        "conversations": counts["total"],
    }


def customer_dict(customer: Customer, actor: Membership) -> dict[str, Any]:
    """The customer's card as the actor may see it (no queries)."""
    return {
        "id": customer.id,
        "platform": customer.platform,
        "platform_label": str(Platform(customer.platform).label)
        if customer.platform in Platform.values else customer.platform,
        "nickname": customer.nickname,
        "personal": archive.personal_data(customer, actor),
        "segment": customer.segment,
        "segment_label": str(Segment(customer.segment).label),
        "total_orders": customer.total_orders,
        "last_order_at": customer.last_order_at.isoformat() if customer.last_order_at else None,
        "archive_url": reverse("customers:detail", args=[customer.id]),
    }


def tags_of(*, actor: Membership, customer_id: int) -> list[str]:
    """The customer's tags, oldest first (empty for another shop's customer)."""
    return list(
        CustomerTag.objects.filter(shop_id=actor.shop_id, customer_id=customer_id)
        .order_by("created_at", "id").values_list("name", flat=True)
    )


def type_choices() -> dict[str, dict[str, Any]]:
    """Every type field with its name and choices, for the inline selects."""
    return {
        field: {
            "kind": str(Customer._meta.get_field(field).verbose_name),
            "choices": [{"value": v, "label": str(label)} for v, label in choices.choices],
        }
        for field, choices in TYPE_FIELDS.items()
    }


def _history(customer: Customer, actor: Membership) -> dict[str, Any]:
    shop_rules = rules.rules_for_shop(customer.shop_id)
    orders = Order.objects.filter(shop_id=customer.shop_id, customer_id=customer.id)
    recent = orders.order_by("-created_at", "-id").values(*_ORDER_COLUMNS)[:RECENT_ORDERS]
    refunds = (
        orders.filter(OPEN_REFUND).order_by("-created_at", "-id").values(*_ORDER_COLUMNS)
    )[:OPEN_REFUNDS]
    complaints = (
        Message.objects.filter(
            shop_id=customer.shop_id,
            conversation__visitor__customer_id=customer.id,
            sender=SenderKind.CUSTOMER,
            meta__coach__intent="complaint",
        )
        .order_by("-created_at", "-id")
        .values("conversation_id", "text", "created_at")[:PAST_COMPLAINTS]
    )
    notes = (
        CustomerNote.objects.filter(shop_id=customer.shop_id, customer_id=customer.id)
        .select_related("author")
        .order_by("-created_at", "-id")[:RECENT_NOTES]
    )
    suggested = customer.suggested_buying
    return {
        "segment_reason": rules.segment_reason(customer, shop_rules),
        "types": [asdict(card) for card in types.type_cards(customer)],
        "suggested_buying": {
            "value": suggested,
            "label": str(TYPE_FIELDS["buying_behaviour"](suggested).label),
            "reason": rules.buying_suggestion_reason(customer),
            "tactic": types.tactic_for("buying_behaviour", suggested),
        }
        if suggested and suggested != customer.buying_behaviour else None,
        "recent_orders": [_order(o) for o in recent],
        "open_refunds": [_order(o) for o in refunds],
        "complaints": [
            {"conversation": c["conversation_id"], "text": c["text"][:200],
             "created_at": c["created_at"].isoformat()}
            for c in complaints
        ],
        "tags": list(customer.tags.order_by("created_at", "id").values_list("name", flat=True)),
        "notes": [
            note_dict(n, actor)
            for n in notes
        ],
    }


def note_dict(note: CustomerNote, actor: Membership) -> dict[str, Any]:
    """One note as the panel shows it (its author selected with it)."""
    return {
        "id": note.id,
        "text": note.text,
        "author": archive.note_author(note),
        "created_at": note.created_at.isoformat(),
        "can_delete": archive.may_delete_note(actor, note),
    }


def _order(row: dict[str, Any]) -> dict[str, Any]:
    status = row["status"]
    return {
        "order_no": row["order_no"],
        "status": status,
        "status_label": str(OrderStatus(status).label) if status in OrderStatus.values else status,
        "amount": str(row["amount"]),
        "amount_text": rules.money(row["amount"]),
        "refund_amount": str(row["refund_amount"]),
        "refund_text": rules.money(row["refund_amount"]) if row["refund_amount"] else "",
        "title": row["title"],
        "created_at": row["created_at"].isoformat() if row["created_at"] else None,
    }
