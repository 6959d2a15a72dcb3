"""The owner changes the shop's settings on /desk/settings/; the next chat shows them."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.pages import ChatWindow, Desk

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

ANNOUNCEMENT = "年货节：满199减30，1月20日前下单年前到货"
WELCOME = "新年好呀～今天想看点什么？"


def test_an_announcement_saved_by_the_owner_shows_in_a_new_chat(
    make_shop, people_browsing, screenshot
):
    # Given an owner at the settings page of a shop without an announcement
    people = make_shop(announcement="")
    owner_page = people_browsing.new_page()
    Desk.log_in(owner_page, people.owner)
    owner_page.goto("/desk/settings/")

    # When the owner writes an announcement and a welcome, and saves
    owner_page.get_by_label("店铺公告").fill(ANNOUNCEMENT)
    owner_page.get_by_label("欢迎语").fill(WELCOME)
    owner_page.get_by_role("button", name="保存设置").click()

    # Then the page confirms it, and keeps the new values
    expect(owner_page.get_by_text("店铺设置已保存。")).to_be_visible()
    expect(owner_page.get_by_label("店铺公告")).to_have_value(ANNOUNCEMENT)
    screenshot(owner_page, "1-settings-saved")

    # And a customer who opens the chat afterwards sees the announcement and the welcome
    customer_page = people_browsing.new_page()
    chat = ChatWindow.open_from_demo_shop(customer_page, people.shop)
    expect(chat.announcement).to_have_text(ANNOUNCEMENT)
    expect(chat.announcement).to_be_visible()
    expect(chat.notice(WELCOME)).to_be_visible()
    screenshot(customer_page, "2-new-chat-shows-it")


def test_an_agent_may_read_the_settings_but_not_change_them(make_shop, people_browsing, screenshot):
    # Given an agent (not the owner) on the settings page
    people = make_shop(announcement="店铺原来的公告")
    page = people_browsing.new_page()
    Desk.log_in(page, people.agent)
    page.goto("/desk/settings/")

    # Then the values are there to read, with nothing to edit or save
    expect(page.get_by_label("店铺公告")).to_have_value("店铺原来的公告")
    expect(page.get_by_label("店铺公告")).not_to_be_editable()
    expect(page.get_by_role("button", name="保存设置")).to_have_count(0)
    screenshot(page, "read-only")
