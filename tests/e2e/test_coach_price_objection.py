"""The coach at the agent's elbow on a price objection: chips on the customer's message,
replies labelled with their method, the product's price filled into the draft, a refusal
underlined as the agent types, and "send anyway" only after she confirms."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import expect

from kefu.chat.models import Message, SenderKind
from kefu.coach import faq_cache
from kefu.coach.models import ReviewFlag
from kefu.coach.reading import forget_shop_reader
from kefu.playbook.products import create_product
from tests.e2e.pages import ChatWindow, Coach, Desk

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

DESK_SIZE = {"width": 1280, "height": 800}
OBJECTION = "这个也太贵了吧，别家才卖80"
REFUSAL = "我不能给您便宜"


@pytest.fixture(autouse=True)
def _fresh_coach_caches() -> Iterator[None]:
    """The live server runs in this process: its per-shop caches must not outlive a test."""
    faq_cache.forget()
    forget_shop_reader()
    yield
    faq_cache.forget()


def test_coach_price_objection(make_shop, people_browsing, screenshot):
    # Given a shop selling a blanket (list 129, floor 109) and a cushion, and 小美 at work
    people = make_shop()
    create_product(
        actor=people.owner, name="云朵羊毛毯", list_price="129", floor_price="109", gift="收纳袋"
    )
    create_product(actor=people.owner, name="软糯抱枕", list_price="59", floor_price="49")
    agent_page = people_browsing.new_page(viewport=DESK_SIZE)
    desk = Desk.log_in(agent_page, people.agent)
    coach = Coach(desk)

    # When a customer says the price is too high
    customer_page = people_browsing.new_page()
    chat = ChatWindow.open(customer_page, people.shop)
    chat.send_and_confirm(OBJECTION)

    # Then 小美 sees the message read as 异议 · 价格, and replies for a price objection
    desk.open_only_conversation("mine")
    expect(coach.chip(OBJECTION, "intent")).to_have_text("异议")
    expect(coach.chip(OBJECTION, "objection_type")).to_have_text("价格")
    expect(coach.chips(OBJECTION)).to_have_attribute("data-objection-type", "price")
    expect(coach.reading).to_contain_text("异议·价格异议")
    expect(coach.suggestion_labels.first).to_be_visible()
    labels = coach.suggestion_labels.all_text_contents()
    assert all(label.startswith("价格异议 · ") for label in labels), labels
    methods = {label.split(" · ", 1)[1] for label in labels}
    assert {"比较法", "平均法"} <= methods, methods
    # and, for a haggler, the bargaining panel is open under them
    expect(coach.bargain).to_have_attribute("open", "")
    screenshot(agent_page, "1-chips-and-price-suggestions")

    # When she says which product the chat is about
    coach.pick_product("云朵羊毛毯")

    # Then the panel shows its prices and the replies carry our price, not the other shop's
    expect(coach.prices).to_contain_text("标价 ¥129")
    expect(coach.prices).to_contain_text("底价 ¥109")
    priced = coach.suggestions.filter(has_text="129")
    expect(priced.first).to_be_visible()
    expect(coach.suggestions.filter(has_text="{价格}")).to_have_count(0)
    screenshot(agent_page, "2-product-picked")

    # When she clicks a reply that names the price
    reply = priced.first.locator("button.coach-sugg__button")
    suggested = reply.get_attribute("data-insert")
    assert suggested and "129" in suggested and "80" not in suggested
    reply.click()

    # Then the draft holds it, price filled, and nothing was sent
    expect(desk.input).to_have_value(suggested)
    assert "{价格}" not in desk.input.input_value()
    expect(chat.messages.locator(".msg--from-agent")).to_have_count(0)
    screenshot(agent_page, "3-suggestion-in-draft")

    # When she clears the draft and types a flat refusal instead
    desk.input.fill("")
    desk.input.press_sequentially(REFUSAL)

    # Then the refusal is underlined, and hovering it shows what to say instead
    mark = coach.finding_marks.filter(has_text="我不能")
    expect(mark).to_have_count(1)
    expect(mark).to_have_class(re.compile(r"\bis-high\b"))
    expect(coach.check_list.first).to_contain_text("负面语言「我不能」")
    coach.hover(mark)
    expect(coach.tip).to_be_visible()
    expect(coach.tip).to_contain_text("负面语言「我不能」")
    expect(coach.tip).to_contain_text("建议：")
    screenshot(agent_page, "4-finding-underlined")

    # When she presses send
    desk.send_button.click()

    # Then a dialog asks first, listing the finding; nothing reached the customer
    expect(coach.confirm_dialog).to_be_visible()
    expect(coach.confirm_findings).to_have_count(1)
    expect(coach.confirm_findings.first).to_contain_text("我不能")
    assert not Message.objects.filter(text=REFUSAL).exists()
    expect(chat.messages.locator(".msg--from-agent")).to_have_count(0)
    screenshot(agent_page, "5-send-anyway-dialog")

    # When she confirms 仍要发送
    coach.confirm_dialog.get_by_role("button", name="仍要发送").click()

    # Then the customer gets it, the draft is empty, and it was recorded for quality review
    expect(chat.stored("agent", REFUSAL)).to_be_visible()
    expect(desk.stored("agent", REFUSAL)).to_be_visible()
    expect(coach.confirm_dialog).to_be_hidden()
    expect(desk.input).to_have_value("")
    screenshot(agent_page, "6-sent-anyway")
    sent = Message.objects.get(text=REFUSAL, sender=SenderKind.AGENT)
    flag = ReviewFlag.objects.get(message=sent)
    assert flag.member_id == people.agent.id
    assert [f["category"] for f in flag.findings] == ["negative"]
    assert people_browsing.dialogs == []
