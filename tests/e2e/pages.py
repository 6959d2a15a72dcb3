"""Page objects for the browser tests: the customer's chat window and the agent's workbench.

Selectors follow the templates' data-role / data-action hooks, so a restyled page keeps
its tests. Every wait is Playwright's bounded auto-wait (expect(...) with a timeout).
"""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import FrameLocator, Locator, Page, expect

PASSWORD = "s3cret-pass"


def exactly(text: str) -> re.Pattern[str]:
    """A pattern matching the whole text and nothing more (has_text matches substrings)."""
    return re.compile(rf"^\s*{re.escape(text)}\s*$")


class ChatWindow:
    """The customer's chat: the widget page itself, or the iframe that widget.js opens."""

    def __init__(self, root: Page | FrameLocator) -> None:
        self.root = root
        self.messages = root.locator('[data-role="messages"]')
        self.input = root.locator('textarea[data-role="input"]')
        self.send_button = root.locator('[data-role="send"]')
        self.image_input = root.locator('input[data-role="image"]')
        self.hint = root.locator('[data-role="hint"]')
        self.status = root.locator('[data-role="status-text"]')
        self.announcement = root.locator('[data-role="announcement-text"]')

    @classmethod
    def open(cls, page: Page, shop: Any) -> ChatWindow:
        """The widget page, as a customer opening the chat link directly."""
        page.goto(f"/w/{shop.public_key}/")
        return cls(page)

    @classmethod
    def open_from_demo_shop(cls, page: Page, shop: Any) -> ChatWindow:
        """The demo shop page: the customer clicks the floating button and chats in the frame."""
        page.goto(f"/demo/{shop.public_key}/")
        page.get_by_role("button", name="打开在线客服").click()
        frame = page.frame_locator('iframe[title="在线客服"]')
        window = cls(frame)
        expect(window.input).to_be_visible()
        return window

    def send(self, text: str) -> None:
        self.input.fill(text)
        self.send_button.click()

    def stored(self, sender: str, text: str) -> Locator:
        """The text of a message the server has stored (it has a seq), by exact text."""
        return self.messages.locator(f".msg--from-{sender}[data-seq] .msg__text").filter(
            has_text=exactly(text)
        )

    def send_and_confirm(self, text: str) -> None:
        self.send(text)
        expect(self.stored("customer", text)).to_have_count(1)

    def notice(self, text: str) -> Locator:
        """An auto-reply or system line (stored or, for the welcome, shown locally)."""
        return self.messages.locator(".msg--from-system .msg__text").filter(has_text=text)

    def texts(self) -> list[str]:
        return self.messages.locator(".msg__text").all_text_contents()


class Desk:
    """The agent workbench at /desk/."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.connection = page.locator('[data-role="conn"]')
        self.rows = page.locator('[data-role="list"] .conv')
        self.conversation = page.locator('[data-role="conv"]')
        self.history = page.locator('[data-role="histories"] .history:not([hidden])')
        self.visitor_name = page.locator('[data-role="conv-visitor"]')
        self.status = page.locator('[data-role="conv-status"]')
        self.assignee = page.locator('[data-role="conv-assignee"]')
        self.input = page.locator('textarea[data-role="input"]')
        self.send_button = page.locator('[data-action="send"]')
        self.quick_replies = page.locator('[data-role="qr-list"] .qr__item')

    @classmethod
    def log_in(cls, page: Page, member: Any) -> Desk:
        """Through the real login page, the way an agent starts the day."""
        page.goto("/accounts/login/?next=/desk/")
        page.get_by_label("登录名").fill(member.user.username)
        page.get_by_label("密码").fill(PASSWORD)
        page.get_by_role("button", name="登录").click()
        expect(page).to_have_url(re.compile(r"/desk/(#.*)?$"))
        desk = cls(page)
        desk.wait_connected()
        return desk

    def wait_connected(self) -> None:
        expect(self.connection).to_have_attribute("data-state", "open")

    def show_tab(self, tab: str) -> None:
        """waiting (排队中), mine (我的) or all (全部)."""
        self.page.locator(f'[data-tab="{tab}"]').click()
        expect(self.page.locator(f'[data-tab="{tab}"]')).to_have_attribute("aria-selected", "true")

    def open_only_conversation(self, tab: str) -> None:
        """Click the one row the tab holds (each test's shop starts without conversations)."""
        self.show_tab(tab)
        expect(self.rows).to_have_count(1)
        # The list redraws a row when its summary changes (coalesced every 300 ms); a click
        # that lands mid-redraw hits the replaced element and is lost, so click again.
        for _attempt in range(3):
            self.rows.first.click()
            try:
                expect(self.conversation).to_be_visible(timeout=5_000)
                return
            except AssertionError:
                continue
        expect(self.conversation).to_be_visible()

    def stored(self, sender: str, text: str) -> Locator:
        return self.history.locator(f".msg--from-{sender}[data-seq] .msg__text").filter(
            has_text=exactly(text)
        )

    def reply(self, text: str) -> None:
        self.input.fill(text)
        self.send_button.click()
        expect(self.stored("agent", text)).to_have_count(1)

    def texts(self) -> list[str]:
        return self.history.locator(".msg__text").all_text_contents()


class Coach:
    """The coach in the workbench: chips on customer messages, the 智能辅助 panel (reading,
    suggestions, handling guide, bargaining), the draft's pre-send check and the
    "send anyway?" dialog. Selectors are desk.html's and desk_*.js's data-role hooks."""

    def __init__(self, desk: Desk) -> None:
        page = desk.page
        self.desk = desk
        self.page = page
        self.panel = page.locator('[data-role="coach"]')
        self.reading = page.locator('[data-role="coach-reading"] .coach__tags')
        self.suggestions = page.locator('[data-role="coach-suggestions"] .coach-sugg')
        self.suggestion_labels = page.locator('[data-role="coach-suggestions"] .coach-sugg__label')
        self.guide_block = page.locator('[data-role="coach-guide-block"]')
        self.guide_title = page.locator('[data-role="coach-guide-title"]')
        self.guide_steps = page.locator('[data-role="coach-guide"] .coach-step')
        self.current_step = page.locator('[data-role="coach-guide"] .coach-step.is-current')
        self.never_say = page.locator('[data-role="coach-guide"] .coach-step__never li')
        self.bargain = page.locator('[data-role="bargain"]')
        self.product = page.locator('[data-role="bargain-product"]')
        self.prices = page.locator('[data-role="bargain-prices"]')
        self.finding_marks = page.locator('[data-role="draft-mirror"] .draft-mark--finding')
        self.tip = page.locator('[data-role="draft-tip"]')
        self.check_list = page.locator('[data-role="draft-check"] .draft-check__item')
        self.confirm_dialog = page.locator('[data-role="confirm-dialog"]')
        self.confirm_findings = page.locator('[data-role="confirm-findings"] li')
        self.chip_menu = page.locator('[data-role="chip-menu"]')

    def message_row(self, text: str) -> Locator:
        """A stored customer message in the open conversation, by exact text."""
        return self.desk.history.locator(".msg--from-customer[data-seq]").filter(
            has=self.page.locator(".msg__text", has_text=exactly(text))
        )

    def chips(self, text: str) -> Locator:
        """The chips row the coach drew under a customer message."""
        return self.message_row(text).locator(".coach-chips")

    def chip(self, text: str, field: str) -> Locator:
        """One chip of a message: field is intent, objection_type or emotion."""
        return self.chips(text).locator(f'.coach-chip[data-field="{field}"]')

    def pick_product(self, name: str) -> None:
        """Choose the product the chat is about in the bargaining panel."""
        expect(self.bargain).to_have_attribute("open", "")
        option = self.product.locator("option").filter(has_text=re.compile(rf"^{re.escape(name)}"))
        value = option.get_attribute("value")
        assert value, f"no product {name} in the bargaining panel"
        self.product.select_option(value=value)

    def hover(self, target: Locator) -> None:
        """Move the pointer over a mark in the draft (the textarea lies on top of it).

        Aims at the mark's first line box: a mark that wraps has two, and the middle of
        its bounding box can fall between them."""
        target.scroll_into_view_if_needed()
        box = target.evaluate(
            "el => { const r = el.getClientRects()[0];"
            " return {x: r.left, y: r.top, width: r.width, height: r.height}; }"
        )
        self.page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
