"""The 客户档案 side panel: an agent links a chat to a customer by order number, sees who
they are, edits a type inline and leaves a note for colleagues.

The screenshot lands in test-output/e2e/customer-panel.png; docs/images/customer-panel.png
(README) is a copy made by hand, so running the tests never changes a tracked file."""

from __future__ import annotations

import datetime as dt
import shutil
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from kefu.chat.models import Visitor
from kefu.customers import archive
from kefu.customers.models import Customer, CustomerNote, SegmentRun
from tests.customers.panel_factories import chat, customer_message, order
from tests.e2e.pages import ChatWindow, Desk

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

TITLES = ["羊毛围巾 燕麦色", "真丝枕套 两只装", "羊绒手套", "亚麻桌布", "纯棉浴巾"]


def a_gold_customer_with_history(people) -> Customer:  # type: ignore[no-untyped-def]
    """李丽 on Taobao: five orders (one refund under way), a past complaint, a note, a tag,
    and the figures of a segmentation pass that made her gold."""
    now = timezone.now()
    SegmentRun.objects.create(shop=people.shop, window_days=180,
                              high_value_amount=Decimal("800"), counts={"gold": 1}, customers=1)
    lily = Customer.objects.create(
        shop=people.shop, platform="taobao", nickname="lily_2019", name="李丽",
        phone="13812345678", address="浙江省杭州市西湖区文三路 88 号", birthday=dt.date(1992, 5, 20),
        segment="gold", seg_orders=5, seg_spend=Decimal("1296"), seg_refunds=1,
        seg_refund_amount=Decimal("129"), seg_complaints=1, seg_haggles=3, seg_messages=9,
        total_orders=5, last_order_at=now, suggested_buying="haggler", segmented_at=now,
        personality="dominant",
    )
    amounts = ["268", "129", "399", "189", "311"]
    for n, (title, amount) in enumerate(zip(TITLES, amounts, strict=True)):
        order(people.shop, lily, n, title=title, amount=Decimal(amount),
              created_at=now - dt.timedelta(days=40 - n * 8),
              status="refunding" if n == 1 else ("shipped" if n == 4 else "completed"),
              refund_amount=Decimal(amount) if n == 1 else Decimal(0))
    earlier = chat(people.shop, customer=lily)
    earlier.status = "closed"
    earlier.save(update_fields=["status"])
    customer_message(earlier, "说好的顺丰结果发了中通，等了五天，太失望了", intent="complaint")
    archive.add_note(actor=people.supervisor, customer_id=lily.id,
                     text="老顾客，介绍过两位朋友来买，发货前请多检查一遍。")
    archive.add_tag(actor=people.supervisor, customer_id=lily.id, name="推荐过朋友")
    return lily


def test_an_agent_links_the_chat_by_order_number_and_keeps_the_archive(
    make_shop, people_browsing, screenshot, output_dir
):
    # Given a gold customer with orders, a refund, a complaint and a note, chatting anew
    people = make_shop()
    lily = a_gold_customer_with_history(people)
    chat_window = ChatWindow.open(people_browsing.new_page(), people.shop)
    chat_window.send_and_confirm("你好，上次那条围巾还有燕麦色吗？")
    desk = Desk.log_in(people_browsing.new_page(viewport={"width": 1440, "height": 1000}),
                       people.agent)
    desk.open_only_conversation("mine")
    page = desk.page
    panel = page.locator('[data-role="cust"]')

    # When the agent opens 客户档案: an unknown first-time visitor
    page.locator('[data-side-tab="customer"]').click()
    expect(panel.locator('[data-role="cust-visitor-kind"]')).to_have_text("新访客")

    # And finds the customer by an order number and links her
    panel.locator('[data-role="cust-search"]').fill("TB1002")
    panel.locator('[data-role="cust-search-form"] button[type="submit"]').click()
    result = panel.locator(".cust-result__button")
    expect(result).to_have_count(1)
    expect(result).to_contain_text("lily_2019")
    expect(result).to_contain_text("138****5678")
    result.click()

    # Then she shows with her segment and why, her orders with amounts, her phone masked
    expect(panel.locator('[data-role="cust-nickname"]')).to_have_text("lily_2019")
    expect(panel.locator('[data-role="cust-segment"]')).to_have_text("黄金客户")
    expect(panel.locator('[data-role="cust-reason"]')).to_contain_text("近180天下单5次")
    expect(panel.locator('[data-role="cust-personal"]')).to_contain_text("138****5678")
    expect(panel.locator('[data-role="cust-personal"]')).not_to_contain_text("13812345678")
    orders = panel.locator('[data-role="cust-orders"] .cust-order')
    expect(orders).to_have_count(5)
    expect(orders.first).to_contain_text("纯棉浴巾")
    expect(orders.first).to_contain_text("¥311")
    expect(panel.locator('[data-role="cust-refunds"] .cust-order')).to_contain_text("退款中")
    expect(panel.locator('[data-role="cust-complaints"]')).to_contain_text("太失望了")
    assert Visitor.objects.filter(customer=lily).count() == 2  # the earlier one and this one

    # When she sets the price attitude inline and adds a note
    panel.locator('select[data-field="price_attitude"]').select_option("tests")
    tactic = panel.locator(".cust-type", has=page.locator('select[data-field="price_attitude"]'))
    expect(tactic.locator(".cust-type__tactic")).to_contain_text("试探价格")
    panel.locator('[data-role="cust-note-input"]').fill("这次想要燕麦色围巾，已告知周五补货。")
    panel.locator('[data-role="cust-note-form"] button[type="submit"]').click()
    expect(panel.locator(".cust-note__text").first).to_have_text("这次想要燕麦色围巾，已告知周五补货。")

    # Then both are kept in the archive
    lily.refresh_from_db()
    assert lily.price_attitude == "tests"
    assert CustomerNote.objects.filter(customer=lily, author=people.agent,
                                       text="这次想要燕麦色围巾，已告知周五补货。").exists()
    # The panel as an agent first sees it, and (taller window) all of it
    page.mouse.move(0, 0)
    expect(page.locator('[data-role="toast"]')).to_be_hidden()
    panel.evaluate("el => { el.scrollTop = 0; }")
    shot = screenshot(page, "customer-panel")
    page.set_viewport_size({"width": 1440, "height": 2000})
    screenshot(page, "customer-panel-full")
    target = output_dir / "e2e" / "customer-panel.png"
    shutil.copyfile(shot, target)
    assert people_browsing.console_errors == []
