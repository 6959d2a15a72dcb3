"""Small factories for the archive tests: customers, their orders, chats and notes."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from itertools import count
from typing import Any

from django.utils import timezone

from kefu.chat.models import Conversation, Visitor
from kefu.customers.models import Customer, CustomerNote, CustomerTag
from kefu.orders.models import Order, OrderStatus

_numbers = count(1)


def days_ago(days: float) -> dt.datetime:
    return timezone.now() - dt.timedelta(days=days)


def make_customer(shop: Any, **fields: Any) -> Customer:
    n = next(_numbers)
    tags = fields.pop("tags", ())
    customer = Customer.objects.create(
        **{"shop": shop, "platform": "taobao", "nickname": f"买家{n}", **fields}
    )
    for name in tags:
        CustomerTag.objects.create(shop=shop, customer=customer, name=name)
    return customer


def make_order(customer: Customer, **fields: Any) -> Order:
    n = next(_numbers)
    values = {
        "shop_id": customer.shop_id,
        "customer": customer,
        "platform": customer.platform,
        "order_no": f"T{n:08d}",
        "status": OrderStatus.COMPLETED,
        "amount": Decimal("99.00"),
        "created_at": timezone.now(),
        **fields,
    }
    return Order.objects.create(**values)


def make_conversation(
    customer: Customer, *, at: dt.datetime | None = None, **fields: Any
) -> Conversation:
    visitor = Visitor.objects.create(shop_id=customer.shop_id, nickname="访客", customer=customer)
    conversation = Conversation.objects.create(shop_id=customer.shop_id, visitor=visitor, **fields)
    if at is not None:
        Conversation.objects.filter(id=conversation.id).update(created_at=at)
        conversation.refresh_from_db()
    return conversation


def make_note(
    customer: Customer, author: Any, text: str, *, at: dt.datetime | None = None
) -> CustomerNote:
    note = CustomerNote.objects.create(
        shop_id=customer.shop_id, customer=customer, author=author, text=text
    )
    if at is not None:
        CustomerNote.objects.filter(id=note.id).update(created_at=at)
        note.refresh_from_db()
    return note
