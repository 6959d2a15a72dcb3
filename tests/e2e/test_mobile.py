"""The chat on a phone screen (375x667): everything within reach, chatting works by touch."""

from __future__ import annotations

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.e2e.pages import ChatWindow

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PHONE = {
    "viewport": {"width": 375, "height": 667},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
}


def assert_on_screen(
    element: Locator, *, tappable: bool, width: int = 375, height: int = 667
) -> None:
    box = element.bounding_box()
    assert box is not None, "element is not rendered"
    assert box["x"] >= 0 and box["y"] >= 0, box
    assert box["x"] + box["width"] <= width and box["y"] + box["height"] <= height, box
    if tappable:
        assert box["width"] >= 32 and box["height"] >= 32, f"too small for a finger: {box}"


def page_width(page: Page) -> int:
    return page.evaluate("document.scrollingElement.scrollWidth")


def test_the_chat_page_fits_a_phone_and_works_by_touch(make_shop, people_browsing, screenshot):
    # Given a customer on a phone opening the shop's chat link
    people = make_shop(
        welcome_message="您好，欢迎光临～", announcement="今日下单，明天发货，全场包邮"
    )
    page = people_browsing.new_page(**PHONE)
    chat = ChatWindow.open(page, people.shop)
    expect(chat.notice("您好，欢迎光临～")).to_be_visible()

    # Then the announcement, the input and the send button are all on screen
    expect(chat.announcement).to_have_text("今日下单，明天发货，全场包邮")
    expect(chat.input).to_be_visible()
    expect(chat.send_button).to_be_visible()
    assert_on_screen(chat.input, tappable=True)
    assert_on_screen(chat.send_button, tappable=True)
    assert page_width(page) <= 375, "the page scrolls sideways"

    # When the customer taps the input, types and taps send
    chat.input.tap()
    chat.input.fill("手机上能看到我的消息吗？")
    chat.send_button.tap()

    # Then the message is sent and stays in view above the input
    expect(chat.stored("customer", "手机上能看到我的消息吗？")).to_be_visible()
    assert_on_screen(chat.stored("customer", "手机上能看到我的消息吗？"), tappable=False)
    expect(chat.input).to_have_value("")
    screenshot(page, "chat-page")


def test_the_demo_shop_chat_takes_the_whole_phone_screen(make_shop, people_browsing, screenshot):
    # Given a customer browsing the demo shop on a phone
    people = make_shop()
    page = people_browsing.new_page(**PHONE)
    page.goto(f"/demo/{people.shop.public_key}/")
    button = page.get_by_role("button", name="打开在线客服")
    expect(button).to_be_visible()
    assert_on_screen(button, tappable=True)
    screenshot(page, "1-shop-page")

    # When they tap the chat button
    button.tap()

    # Then the chat fills the screen, and its input and send button are usable
    frame_element = page.locator('iframe[title="在线客服"]')
    expect(frame_element).to_be_visible()
    chat = ChatWindow(page.frame_locator('iframe[title="在线客服"]'))
    expect(chat.input).to_be_visible()
    box = frame_element.bounding_box()
    assert box == {"x": 0, "y": 0, "width": 375, "height": 667}
    assert_on_screen(chat.send_button, tappable=True)
    chat.input.tap()
    chat.input.fill("这件T恤有白色吗？")
    chat.send_button.tap()
    expect(chat.stored("customer", "这件T恤有白色吗？")).to_be_visible()
    screenshot(page, "2-chat-open")

    # And the close button in the chat's header brings the shop page back
    chat.root.get_by_role("button", name="关闭聊天窗口").tap()
    expect(button).to_be_visible()
    expect(frame_element).to_be_hidden()
