"""Small factories for the customer panel tests: visitors, conversations, orders, messages."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.utils import timezone

from kefu.chat.models import Conversation, Message, Visitor
from kefu.customers.models import Customer
from kefu.orders.models import Order

T0 = dt.datetime(2025, 3, 1, 10, 0, tzinfo=dt.UTC)


def chat(shop: Any, *, visitor: Visitor | None = None, customer: Customer | None = None) -> Conversation:
    """A conversation of a visitor (a new one unless given), linked to `customer` if given."""
    if visitor is None:
        visitor = Visitor.objects.create(shop=shop, nickname="访客A1B2", customer=customer)
    return Conversation.objects.create(shop=shop, visitor=visitor, status="open")


def customer(shop: Any, nickname: str = "tb_lily", **fields: Any) -> Customer:
    defaults: dict[str, Any] = {"platform": "taobao", "phone": "13812345678", "name": "李丽"}
    return Customer.objects.create(shop=shop, nickname=nickname, **{**defaults, **fields})


def order(shop: Any, buyer: Customer, n: int, **fields: Any) -> Order:
    defaults: dict[str, Any] = {
        "status": "completed", "amount": Decimal("199.00"), "title": f"羊毛围巾 {n}",
        "created_at": T0 + dt.timedelta(days=n),
    }
    return Order.objects.create(
        shop=shop, customer=buyer, platform=buyer.platform, order_no=f"TB{1000 + n}",
        **{**defaults, **fields},
    )


def customer_message(conv: Conversation, text: str, *, intent: str = "question") -> Message:
    conv.last_seq += 1
    conv.save(update_fields=["last_seq"])
    return Message.objects.create(
        shop_id=conv.shop_id, conversation=conv, seq=conv.last_seq,
        client_id=f"c{conv.id}-{conv.last_seq}", sender="customer", text=text,
        meta={"coach": {"intent": intent, "emotion": "neutral"}}, created_at=timezone.now(),
    )
