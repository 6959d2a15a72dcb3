"""Claim, transfer with a note and close from the workbench; the customer sees each step."""

from __future__ import annotations

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.e2e.pages import ChatWindow, Desk

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

NOTE = "顾客问周末发货，已答复，后续可能问尺码"


def every_day_but_today() -> str:
    """Outside business hours nobody is assigned by itself: the chat waits to be claimed."""
    today = timezone.localtime().weekday()
    return "".join(str(day) for day in range(7) if day != today)


def test_an_agent_claims_transfers_and_a_colleague_closes(make_shop, people_browsing, screenshot):
    # Given a customer who wrote while the shop is closed: the chat waits in the queue
    people = make_shop(open_days=every_day_but_today())
    customer_page = people_browsing.new_page()
    chat = ChatWindow.open(customer_page, people.shop)
    chat.send_and_confirm("周末能发货吗？")
    expect(chat.messages.locator(".msg--from-system[data-seq]")).to_have_count(1)  # away
    xiaomei = Desk.log_in(people_browsing.new_page(), people.agent)
    ajie = Desk.log_in(people_browsing.new_page(), people.agent2)

    # When 小美 opens it from the queue and claims it
    xiaomei.open_only_conversation("waiting")
    expect(xiaomei.status).to_have_text("排队中")
    expect(xiaomei.stored("customer", "周末能发货吗？")).to_be_visible()
    screenshot(xiaomei.page, "1-waiting")
    xiaomei.page.locator('[data-action="claim"]').click()

    # Then she holds it, and the customer is told who serves them
    expect(xiaomei.status).to_have_text("接待中")
    expect(xiaomei.assignee).to_have_text("接待：小美")
    expect(chat.stored("system", "客服 小美 为您服务～")).to_be_visible()
    xiaomei.reply("周末也发货的亲，下午四点前拍当天发～")
    expect(chat.stored("agent", "周末也发货的亲，下午四点前拍当天发～")).to_be_visible()

    # When she transfers it to 阿杰 with a note
    xiaomei.page.locator('[data-action="transfer"]').click()
    dialog = xiaomei.page.locator('[data-role="transfer-dialog"]')
    expect(dialog).to_be_visible()
    dialog.locator("label.colleague", has_text="阿杰").click()
    dialog.locator('[data-role="transfer-note"]').fill(NOTE)
    screenshot(xiaomei.page, "2-transfer-dialog")
    dialog.locator('[data-action="transfer-confirm"]').click()

    # Then the customer is told 阿杰 takes over, and the chat lands in 阿杰's own list live
    expect(dialog).to_be_hidden()
    expect(xiaomei.assignee).to_have_text("接待：阿杰")
    expect(chat.stored("system", "客服 阿杰 为您服务～")).to_be_visible()
    ajie.open_only_conversation("mine")
    expect(ajie.stored("agent", "周末也发货的亲，下午四点前拍当天发～")).to_be_visible()
    # with 小美's note for him, which the customer never sees
    expect(ajie.page.locator('[data-fact="handoff"]')).to_have_text(f"小美：{NOTE}")
    assert not any(NOTE in text for text in chat.texts())
    # 小美 may still read it, but no longer write in it
    expect(xiaomei.input).to_be_disabled()

    # When 阿杰 closes it
    ajie.page.locator('[data-action="close"]').click()
    confirm = ajie.page.locator('[data-role="close-dialog"]')
    expect(confirm).to_be_visible()
    confirm.get_by_role("button", name="结束会话").click()

    # Then the customer sees the chat ended, and the workbench locks the reply box
    expect(chat.notice("本次服务已结束")).to_be_visible()
    expect(ajie.status).to_have_text("已结束")
    expect(ajie.input).to_be_disabled()
    screenshot(ajie.page, "3-closed-on-workbench")
    screenshot(customer_page, "4-customer-sees-every-step")
    expect(chat.messages.locator(".msg--from-system[data-seq] .msg__text")).to_have_count(4)
    assert people_browsing.dialogs == []
