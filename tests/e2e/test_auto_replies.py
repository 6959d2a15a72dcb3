"""The shop's automatic replies as a customer meets them: welcome, away and busy."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.pages import ChatWindow, Desk

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

WELCOME = "亲，欢迎光临小店～想了解哪款宝贝，直接问我就好。"
AWAY = "客服小姐姐暂时不在，您先留言，上线后第一时间回复您～"
BUSY = "客服都在忙，您排在第{排队人数}位，请稍候～"


def test_the_welcome_greets_a_customer_who_opens_the_chat(make_shop, people_browsing, screenshot):
    # Given a shop with a welcome message
    people = make_shop(welcome_message=WELCOME)

    # When a customer opens the chat
    page = people_browsing.new_page()
    chat = ChatWindow.open(page, people.shop)

    # Then the welcome is the first thing in it, before the customer wrote anything
    expect(chat.notice(WELCOME)).to_be_visible()
    expect(chat.messages.locator(".msg__text")).to_have_text([WELCOME])
    screenshot(page, "welcome")


def test_the_away_message_answers_when_no_agent_is_online(make_shop, people_browsing, screenshot):
    # Given a shop open for business but with no workbench open
    people = make_shop(away_message=AWAY)

    # When a customer writes
    page = people_browsing.new_page()
    chat = ChatWindow.open(page, people.shop)
    expect(chat.status).to_have_text("客服暂时不在，可以先留言")
    chat.send_and_confirm("有人吗？想问下还有没有货")

    # Then the away message answers at once
    expect(chat.stored("system", AWAY)).to_be_visible()

    # And it is not repeated on the customer's next message
    chat.send_and_confirm("有货的话我要两件")
    expect(chat.messages.locator(".msg__text")).to_have_text(
        ["有人吗？想问下还有没有货", AWAY, "有货的话我要两件"]
    )
    screenshot(page, "away")


def test_the_busy_message_gives_the_queue_place_when_agents_are_full(
    make_shop, people_browsing, screenshot
):
    # Given 小美 (2 chats at a time) is the only agent at a workbench
    people = make_shop(busy_message=BUSY)
    agent_page = people_browsing.new_page()
    desk = Desk.log_in(agent_page, people.agent)

    # When two customers write, they both get 小美
    for n in (1, 2):
        chat = ChatWindow.open(people_browsing.new_page(), people.shop)
        expect(chat.status).to_have_text("客服在线")
        chat.send_and_confirm(f"我是第{n}位顾客")
        expect(chat.stored("system", "客服 小美 为您服务～")).to_be_visible()

    # Then a third customer is told to wait, with their place in the queue
    third_page = people_browsing.new_page()
    third = ChatWindow.open(third_page, people.shop)
    third.send_and_confirm("我是第3位顾客")
    expect(third.stored("system", "客服都在忙，您排在第1位，请稍候～")).to_be_visible()
    expect(third.messages.locator(".msg--from-system")).to_have_count(1)
    screenshot(third_page, "1-third-customer-waits")

    # And the workbench shows 小美 two chats of her own and one in the queue
    expect(agent_page.locator('[data-count="mine"]')).to_have_text("2")
    expect(agent_page.locator('[data-count="waiting"]')).to_have_text("1")
    desk.show_tab("waiting")
    expect(desk.rows).to_have_count(1)
    expect(desk.rows.first).to_contain_text("您排在第1位")
    screenshot(agent_page, "2-workbench-queue")
