"""HTML and script in a message are shown as text on both sides, and nothing runs."""

from __future__ import annotations

import pytest
from playwright.sync_api import Locator, expect

from tests.e2e.pages import ChatWindow, Desk

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

IMG_PAYLOAD = "<img src=x onerror=alert(1)>"
SCRIPT_PAYLOAD = "<script>alert(1)</script>"
AGENT_PAYLOAD = '<b onmouseover="alert(2)">粗体</b><svg onload=alert(3)>'


def text_contents(texts: Locator) -> list[str]:
    return texts.evaluate_all("nodes => nodes.map(node => node.textContent)")


def assert_shown_literally(message_list: Locator, sender: str, payloads: list[str]) -> None:
    texts = message_list.locator(f".msg--from-{sender}[data-seq] .msg__text")
    expect(texts).to_have_count(len(payloads))
    assert text_contents(texts) == payloads
    assert message_list.locator("img, script, svg, b").count() == 0


def test_html_in_messages_is_shown_as_text_and_never_runs(make_shop, people_browsing, screenshot):
    # Given a customer chatting with 小美
    people = make_shop()
    agent_page = people_browsing.new_page()
    desk = Desk.log_in(agent_page, people.agent)
    customer_page = people_browsing.new_page()
    chat = ChatWindow.open(customer_page, people.shop)

    # When the customer sends markup and a script
    chat.send_and_confirm(IMG_PAYLOAD)
    chat.send_and_confirm(SCRIPT_PAYLOAD)

    # Then the widget shows the characters, not an image or a script
    assert_shown_literally(chat.messages, "customer", [IMG_PAYLOAD, SCRIPT_PAYLOAD])
    screenshot(customer_page, "1-widget")

    # And so does the workbench, in the list's preview and in the conversation
    desk.show_tab("mine")
    expect(desk.rows.first.locator(".conv__preview")).to_have_text(SCRIPT_PAYLOAD)
    assert agent_page.locator('[data-role="list"] img, [data-role="list"] script').count() == 0
    desk.open_only_conversation("mine")
    assert_shown_literally(desk.history, "customer", [IMG_PAYLOAD, SCRIPT_PAYLOAD])

    # And markup the agent sends reaches the customer as text as well
    desk.reply(AGENT_PAYLOAD)
    expect(chat.stored("agent", AGENT_PAYLOAD)).to_be_visible()
    assert_shown_literally(chat.messages, "agent", [AGENT_PAYLOAD])
    chat.stored("agent", AGENT_PAYLOAD).hover()  # would fire the onmouseover, were it markup
    screenshot(agent_page, "2-workbench")
    screenshot(customer_page, "3-widget-with-agent-reply")

    # And no page ever opened a dialog, nor had the Content-Security-Policy block a script
    assert people_browsing.dialogs == []
    assert [e for e in people_browsing.console_errors if "Content Security Policy" in e] == []
