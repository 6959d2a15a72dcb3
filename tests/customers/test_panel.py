"""customer_panel: what the workbench's side panel shows for a conversation."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import timezone

from kefu.customers import archive, panel
from kefu.customers.models import CustomerTag
from kefu.errors import NotFound
from tests.customers.panel_factories import chat, customer, customer_message, order

pytestmark = pytest.mark.django_db

# One query for the conversation with its visitor and customer; the unlinked panel adds
# one count, the linked one the shop's settings and latest run (segment rules), recent
# orders, open refunds, past complaints, tags and notes.
UNLINKED_QUERIES = 2
LINKED_QUERIES = 8


def test_a_first_time_visitor_shows_as_new(make_shop):
    people = make_shop()
    conv = chat(people.shop)

    shown = panel.customer_panel(actor=people.agent, conversation_id=conv.id)

    assert shown["customer"] is None
    assert shown["new_visitor"] is True
    assert shown["conversations"] == 1


def test_a_returning_unlinked_visitor_is_not_new(make_shop):
    people = make_shop()
    first = chat(people.shop)
    second = chat(people.shop, visitor=first.visitor)

    shown = panel.customer_panel(actor=people.agent, conversation_id=second.id)

    assert shown["customer"] is None
    assert shown["new_visitor"] is False
    assert shown["conversations"] == 2


def test_the_linked_customer_shows_segment_types_orders_refunds_complaints_tags_notes(make_shop):
    people = make_shop()
    lily = customer(
        people.shop, personality="dominant", segment="gold", seg_orders=5,
        seg_spend=Decimal("3260"), segmented_at=timezone.now(), total_orders=5,
        suggested_buying="haggler", seg_haggles=4, seg_messages=10,
    )
    for n in range(1, 7):
        order(people.shop, lily, n)
    order(people.shop, lily, 7, status="refunding", refund_amount=Decimal("99.50"))
    order(people.shop, lily, 8, status="refunded", refund_amount=Decimal("199"))
    conv = chat(people.shop, customer=lily)
    customer_message(conv, "快递三天都没动，我要投诉！", intent="complaint")
    customer_message(conv, "有红色吗？")
    archive.add_note(actor=people.agent2, customer_id=lily.id, text="喜欢红色")
    archive.add_note(actor=people.agent, customer_id=lily.id, text="周末不方便收货")
    archive.add_tag(actor=people.agent, customer_id=lily.id, name="推荐过朋友")

    shown = panel.customer_panel(actor=people.agent, conversation_id=conv.id)

    card = shown["customer"]
    assert card["nickname"] == "tb_lily" and card["platform_label"] == "淘宝"
    assert card["segment_label"] == "黄金客户"
    assert "下单5次" in shown["segment_reason"] and "黄金客户" in shown["segment_reason"]
    assert [(t["field"], t["label"]) for t in shown["types"]] == [("personality", "专断型")]
    assert shown["types"][0]["tactic"]
    assert shown["suggested_buying"]["label"] == "论价型"
    assert "讲价" in shown["suggested_buying"]["reason"]
    assert [o["order_no"] for o in shown["recent_orders"]] == [
        "TB1008", "TB1007", "TB1006", "TB1005", "TB1004"
    ]
    assert shown["recent_orders"][1]["status_label"] == "退款中"
    assert shown["recent_orders"][1]["amount"] == "199.00"
    assert [o["order_no"] for o in shown["open_refunds"]] == ["TB1007"]
    assert shown["open_refunds"][0]["refund_text"] == "¥99.50"
    assert [c["text"] for c in shown["complaints"]] == ["快递三天都没动，我要投诉！"]
    assert shown["tags"] == ["推荐过朋友"]
    assert [(n["text"], n["author"], n["can_delete"]) for n in shown["notes"]] == [
        ("周末不方便收货", "小美", True),
        ("喜欢红色", "阿杰", False),
    ]
    assert set(shown["type_choices"]) == {
        "personality", "buying_behaviour", "online_habit", "product_knowledge",
        "price_attitude", "quality_expectation",
    }


def test_agents_see_personal_data_masked_and_supervisors_whole(make_shop):
    people = make_shop()
    conv = chat(people.shop, customer=customer(people.shop, address="浙江省杭州市西湖区文三路1号"))

    as_agent = panel.customer_panel(actor=people.agent, conversation_id=conv.id)
    as_supervisor = panel.customer_panel(actor=people.supervisor, conversation_id=conv.id)

    assert as_agent["customer"]["personal"]["phone"] == "138****5678"
    assert as_agent["customer"]["personal"]["name"] == "李*"
    assert "文三路" not in as_agent["customer"]["personal"]["address"]
    assert as_agent["can_edit_personal"] is False
    assert as_supervisor["customer"]["personal"]["phone"] == "13812345678"
    assert as_supervisor["can_edit_personal"] is True


def test_a_confirmed_suggestion_is_not_suggested_again(make_shop):
    people = make_shop()
    lily = customer(people.shop, suggested_buying="haggler", buying_behaviour="haggler")
    conv = chat(people.shop, customer=lily)

    assert panel.customer_panel(actor=people.agent, conversation_id=conv.id)["suggested_buying"] is None


def test_another_shops_conversation_is_not_found(make_shop):
    ours, theirs = make_shop(), make_shop()
    conv = chat(theirs.shop, customer=customer(theirs.shop))

    with pytest.raises(NotFound):
        panel.customer_panel(actor=ours.owner, conversation_id=conv.id)


def test_another_shops_complaints_and_notes_never_leak_in(make_shop):
    ours, theirs = make_shop(), make_shop()
    lily = customer(ours.shop)
    conv = chat(ours.shop, customer=lily)
    foreign = chat(theirs.shop)
    customer_message(foreign, "投诉！", intent="complaint")

    shown = panel.customer_panel(actor=ours.agent, conversation_id=conv.id)

    assert shown["complaints"] == []


@pytest.mark.parametrize("orders,notes,tags,complaints", [(1, 0, 0, 0), (20, 5, 3, 6)])
def test_the_linked_panel_costs_the_same_queries_however_long_the_history(
    make_shop, django_assert_num_queries, orders, notes, tags, complaints
):
    people = make_shop()
    lily = customer(people.shop)
    for n in range(orders):
        order(people.shop, lily, n, status="refunding" if n % 2 else "completed")
    conv = chat(people.shop, customer=lily)
    for n in range(complaints):
        customer_message(conv, f"投诉{n}", intent="complaint")
    for n in range(notes):
        archive.add_note(actor=people.agent2 if n % 2 else people.agent, customer_id=lily.id,
                         text=f"备注{n}")
    CustomerTag.objects.bulk_create(
        [CustomerTag(shop=people.shop, customer=lily, name=f"标签{n}") for n in range(tags)]
    )

    with django_assert_num_queries(LINKED_QUERIES):
        shown = panel.customer_panel(actor=people.agent, conversation_id=conv.id)

    assert len(shown["recent_orders"]) == min(orders, 5)
    assert len(shown["notes"]) == notes


@pytest.mark.parametrize("earlier", [0, 4])
def test_the_unlinked_panel_costs_the_same_queries_however_many_visits(
    make_shop, django_assert_num_queries, earlier
):
    people = make_shop()
    conv = chat(people.shop)
    for _ in range(earlier):
        conv = chat(people.shop, visitor=conv.visitor)

    with django_assert_num_queries(UNLINKED_QUERIES):
        shown = panel.customer_panel(actor=people.agent, conversation_id=conv.id)

    assert shown["new_visitor"] is (earlier == 0)
