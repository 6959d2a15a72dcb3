"""A customer's timeline: conversations, orders, refunds and notes, newest first."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kefu.chat.models import Conversation, Visitor
from kefu.customers.timeline import customer_timeline
from kefu.errors import NotFound
from kefu.orders.models import OrderStatus
from tests.customers.factories import (
    days_ago,
    make_conversation,
    make_customer,
    make_note,
    make_order,
)

pytestmark = pytest.mark.django_db


def test_everything_that_happened_newest_first(make_shop):
    people = make_shop()
    customer = make_customer(people.shop)
    make_order(
        customer, order_no="A100", amount=Decimal("3260"), title="真丝围巾", created_at=days_ago(30)
    )
    make_conversation(
        customer,
        at=days_ago(20),
        status="closed",
        assignee=people.agent,
        last_seq=12,
        last_message_preview="好的，谢谢亲",
    )
    make_order(
        customer,
        order_no="A200",
        amount=Decimal("99.50"),
        refund_amount=Decimal("99.50"),
        status=OrderStatus.REFUNDED,
        created_at=days_ago(10),
    )
    make_note(customer, people.agent2, "只要顺丰", at=days_ago(1))

    entries = customer_timeline(actor=people.owner, customer_id=customer.id)

    assert [(e.kind, e.title) for e in entries] == [
        ("note", "备注 · 阿杰"),
        ("refund", "退款 ¥99.50"),
        ("order", "下单 ¥99.50 · 已退款"),
        ("conversation", f"会话 #{Conversation.objects.get().id} · 已结束"),
        ("order", "下单 ¥3,260 · 交易成功"),
    ]
    assert [e.detail for e in entries] == [
        "只要顺丰",
        "订单 A200 · 已退款",
        "订单 A200",
        "12 条消息 · 接待：小美 · 最后一句：好的，谢谢亲",
        "订单 A100 · 真丝围巾",
    ]


def test_a_partial_refund_on_a_completed_order_shows_its_amount(make_shop):
    people = make_shop()
    customer = make_customer(people.shop)
    make_order(customer, amount=Decimal("200"), refund_amount=Decimal("50"))
    make_order(customer, amount=Decimal("80"), status=OrderStatus.REFUNDING)

    titles = [e.title for e in customer_timeline(actor=people.agent, customer_id=customer.id)]

    assert sorted(t for t in titles if t.startswith("退款")) == ["退款 ¥50", "退款 ¥80"]


def test_only_this_customers_chats_orders_and_notes(make_shop):
    people = make_shop()
    customer, other = make_customer(people.shop), make_customer(people.shop)
    make_conversation(other)
    make_order(other)
    make_note(other, people.agent, "别人的")
    Conversation.objects.create(
        shop=people.shop, visitor=Visitor.objects.create(shop=people.shop, nickname="没关联的")
    )

    assert customer_timeline(actor=people.agent, customer_id=customer.id) == []


def test_agents_may_delete_their_own_notes_and_supervisors_any(make_shop):
    people = make_shop()
    customer = make_customer(people.shop)
    make_note(customer, people.agent, "我的", at=days_ago(2))
    make_note(customer, people.agent2, "同事的", at=days_ago(1))

    as_agent = customer_timeline(actor=people.agent, customer_id=customer.id)
    as_supervisor = customer_timeline(actor=people.supervisor, customer_id=customer.id)

    assert [(e.detail, e.can_delete) for e in as_agent] == [("同事的", False), ("我的", True)]
    assert all(e.can_delete for e in as_supervisor)


def test_limit_keeps_the_newest(make_shop):
    people = make_shop()
    customer = make_customer(people.shop)
    for day in range(10):
        make_order(customer, order_no=f"N{day}", created_at=days_ago(day))

    entries = customer_timeline(actor=people.agent, customer_id=customer.id, limit=3)

    assert [e.detail for e in entries] == ["订单 N0", "订单 N1", "订单 N2"]


def test_a_long_history_costs_no_more_queries_than_a_short_one(make_shop):
    people = make_shop()
    short, long = make_customer(people.shop), make_customer(people.shop)
    make_order(short)
    for i in range(15):
        make_order(long, refund_amount=Decimal("1") if i % 2 else Decimal("0"))
        make_conversation(long, assignee=people.agent)
        make_note(long, people.agent2 if i % 2 else people.agent, f"备注{i}")

    def queries(customer) -> int:  # type: ignore[no-untyped-def]
        with CaptureQueriesContext(connection) as captured:
            customer_timeline(actor=people.agent, customer_id=customer.id)
        return len(captured)

    assert queries(short) == queries(long) == 4  # the customer, chats, orders, notes


def test_another_shops_customer_is_not_found(make_shop):
    ours, theirs = make_shop(), make_shop()
    customer = make_customer(theirs.shop)
    make_note(customer, theirs.agent, "他们的")

    with pytest.raises(NotFound):
        customer_timeline(actor=ours.owner, customer_id=customer.id)
