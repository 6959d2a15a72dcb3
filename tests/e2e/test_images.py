"""Customers send product photos; anything that is not an image is refused in Chinese."""

from __future__ import annotations

import io
import re

import pytest
from django.conf import settings
from PIL import Image
from playwright.sync_api import expect

from tests.e2e.pages import ChatWindow, Desk

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def small_png(width: int = 48, height: int = 32) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (230, 80, 60)).save(buffer, format="PNG")
    return buffer.getvalue()


def test_a_photo_reaches_the_agent_and_other_files_are_refused(
    make_shop, people_browsing, screenshot, request
):
    # Given a customer chatting with 小美
    people = make_shop()
    agent_page = people_browsing.new_page()
    desk = Desk.log_in(agent_page, people.agent)
    customer_page = people_browsing.new_page()
    chat = ChatWindow.open(customer_page, people.shop)
    chat.send_and_confirm("我收到的衣服是这个颜色，正常吗？")
    photo = small_png()

    # When the customer picks a PNG photo
    chat.image_input.set_input_files(
        files=[{"name": "photo.png", "mimeType": "image/png", "buffer": photo}]
    )

    # Then it is stored and shown in the widget
    sent = chat.messages.locator(".msg--from-customer[data-seq] img")
    expect(sent).to_have_count(1)
    expect(sent).to_have_attribute("src", re.compile(r"^/media/.+\.png$"))
    stored_file = settings.MEDIA_ROOT / sent.get_attribute("src").removeprefix("/media/")
    request.addfinalizer(lambda: stored_file.unlink(missing_ok=True))
    assert stored_file.read_bytes() == photo
    screenshot(customer_page, "1-widget-photo")

    # And 小美 sees the photo itself, loaded from the server
    desk.open_only_conversation("mine")
    received = desk.history.locator(".msg--from-customer[data-seq] img")
    expect(received).to_have_count(1)
    expect(received).to_be_visible()
    agent_page.wait_for_function(
        "img => img.complete && img.naturalWidth === 48", arg=received.element_handle()
    )
    screenshot(agent_page, "2-agent-sees-photo")

    # When the customer picks a text file
    chat.image_input.set_input_files(
        files=[{"name": "订单.txt", "mimeType": "text/plain", "buffer": "订单号123".encode()}]
    )

    # Then the widget says in Chinese which files it takes, and sends nothing
    expect(chat.hint).to_be_visible()
    expect(chat.hint).to_have_text("只能发送 JPG、PNG、GIF 或 WebP 格式的图片。")
    screenshot(customer_page, "3-text-file-refused")

    # When a file only pretends to be a PNG
    chat.image_input.set_input_files(
        files=[{"name": "fake.png", "mimeType": "image/png", "buffer": b"not really a picture"}]
    )

    # Then the server checks its content and the widget shows why it was refused
    refusal = chat.messages.locator(".msg--failed .msg__status--error")
    expect(refusal).to_be_visible()
    expect(refusal).to_contain_text("只能发送图片")
    screenshot(customer_page, "4-fake-image-refused")

    # And 小美 received only the real photo
    chat.send_and_confirm("就是上面那张")
    expect(desk.stored("customer", "就是上面那张")).to_be_visible()
    expect(received).to_have_count(1)
    assert people_browsing.dialogs == []
