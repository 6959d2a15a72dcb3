"""A customer and an agent talk live: demo shop widget ↔ workbench, with a quick reply."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from kefu.playbook import services as playbook_services
from tests.e2e.pages import ChatWindow, Desk

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

QUICK_REPLY = "{客户}您好，我是{客服}～{店铺}的现货下单后48小时内发出，请放心拍。"


def test_customer_and_agent_talk_live_with_a_quick_reply(make_shop, people_browsing, screenshot):
    # Given a shop with a shipping quick reply, and 小美 at her workbench
    people = make_shop(welcome_message="您好，欢迎光临！有什么可以帮您？")
    playbook_services.create_quick_reply(actor=people.owner, keyword="发货", text=QUICK_REPLY)
    agent_page = people_browsing.new_page()
    desk = Desk.log_in(agent_page, people.agent)
    screenshot(agent_page, "1-desk-empty")

    # When a customer opens the chat from the demo shop page and asks a question
    customer_page = people_browsing.new_page()
    chat = ChatWindow.open_from_demo_shop(customer_page, people.shop)
    expect(chat.notice("您好，欢迎光临！有什么可以帮您？")).to_be_visible()
    chat.send_and_confirm("请问这件卫衣什么时候发货？")
    screenshot(customer_page, "2-customer-asked")

    # Then the question reaches 小美 live (she was given the chat: she is online and free)
    desk.open_only_conversation("mine")
    expect(desk.stored("customer", "请问这件卫衣什么时候发货？")).to_be_visible()
    visitor = desk.visitor_name.inner_text()
    assert visitor.startswith("访客")

    # When she types "/发货" and picks the quick reply
    desk.input.press_sequentially("/发货")
    expect(desk.quick_replies).to_have_count(1)
    filled = f"{visitor}您好，我是小美～{people.shop.name}的现货下单后48小时内发出，请放心拍。"
    expect(desk.quick_replies.first).to_contain_text(filled)
    screenshot(agent_page, "3-quick-reply-picker")
    desk.quick_replies.first.click()
    expect(desk.input).to_have_value(filled)
    desk.send_button.click()
    expect(desk.stored("agent", filled)).to_be_visible()
    screenshot(agent_page, "4-agent-replied")

    # Then the customer sees the reply live, variables filled, signed by 小美
    expect(chat.stored("agent", filled)).to_be_visible()
    reply = chat.messages.locator(".msg--from-agent[data-seq]").last
    expect(reply.locator(".msg__author")).to_have_text("小美")
    assert "{" not in chat.stored("agent", filled).inner_text()
    screenshot(customer_page, "5-customer-sees-reply")

    # When the customer starts typing a follow-up, 小美 sees them typing
    customer_typing = agent_page.locator('[data-role="conv"] [data-role="typing"]')
    expect(customer_typing).to_be_hidden()
    chat.input.press_sequentially("好的，那我现在")
    expect(customer_typing).to_be_visible()
    expect(customer_typing).to_contain_text("顾客正在输入")

    # And when 小美 starts typing, the customer sees it too
    agent_typing = chat.root.locator('[data-role="typing"]')
    expect(agent_typing).to_be_hidden()
    desk.input.press_sequentially("好的")
    expect(agent_typing).to_be_visible()
    expect(agent_typing).to_contain_text("客服正在输入")
    screenshot(customer_page, "6-agent-typing")
    desk.input.fill("")

    # Then the customer's follow-up reaches the agent, and each message shows exactly once
    chat.input.press_sequentially("就拍")
    chat.send_button.click()
    expect(chat.stored("customer", "好的，那我现在就拍")).to_be_visible()
    expect(desk.stored("customer", "好的，那我现在就拍")).to_be_visible()
    expect(customer_typing).to_be_hidden()
    assert desk.texts().count("请问这件卫衣什么时候发货？") == 1
    assert chat.texts().count(filled) == 1
    assert people_browsing.dialogs == []
