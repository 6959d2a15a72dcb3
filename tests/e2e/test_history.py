"""A reload keeps the conversation: every earlier message shown again, and only once."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.pages import ChatWindow, Desk

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

ASSIGNED = "客服 小美 为您服务～"


def test_reloading_either_side_shows_the_whole_conversation_once(
    make_shop, people_browsing, screenshot
):
    # Given a conversation between a customer and 小美
    people = make_shop()
    agent_page = people_browsing.new_page()
    desk = Desk.log_in(agent_page, people.agent)
    customer_page = people_browsing.new_page()
    chat = ChatWindow.open(customer_page, people.shop)
    chat.send_and_confirm("在吗？")
    chat.send_and_confirm("我想问下这款外套的尺码")
    desk.open_only_conversation("mine")
    desk.reply("在的亲，您平时穿什么码？")
    expect(chat.stored("agent", "在的亲，您平时穿什么码？")).to_be_visible()
    so_far = ["在吗？", ASSIGNED, "我想问下这款外套的尺码", "在的亲，您平时穿什么码？"]
    expect(chat.messages.locator(".msg__text")).to_have_text(so_far)

    # When the customer reloads the page and writes on
    customer_page.reload()
    chat = ChatWindow(customer_page)
    # The server answers the resume before this message's ack, so once it is confirmed
    # the history the server sent back has been merged in too.
    chat.send_and_confirm("平时穿L码")
    so_far.append("平时穿L码")

    # Then everything is there once, in order
    expect(chat.messages.locator(".msg__text")).to_have_text(so_far)
    screenshot(customer_page, "1-customer-after-reload")

    # When the page's own copy is gone too (a new tab, storage cleared) but not the visitor
    key = f"kefu:{people.shop.public_key}:history"
    customer_page.evaluate("key => window.localStorage.removeItem(key)", key)
    customer_page.reload()
    chat = ChatWindow(customer_page)

    # Then the server alone brings the whole conversation back
    expect(chat.messages.locator(".msg__text")).to_have_text(so_far)
    expect(chat.messages.locator(".msg--from-customer[data-seq]")).to_have_count(3)

    # When the agent reloads the workbench
    agent_page.reload()
    desk = Desk(agent_page)
    desk.wait_connected()

    # Then the open conversation comes back with the same history, once
    expect(desk.conversation).to_be_visible()
    expect(desk.history.locator(".msg__text")).to_have_text(so_far)
    screenshot(agent_page, "2-agent-after-reload")

    # And the two still talk live after both reloads
    desk.reply("L码刚好，建议拍L～")
    expect(chat.stored("agent", "L码刚好，建议拍L～")).to_have_count(1)
    assert people_browsing.dialogs == []
