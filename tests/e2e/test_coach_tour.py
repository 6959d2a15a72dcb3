"""The README's tour of the coach, as a test: a short chat ending in a price objection, the
panel open beside it, a suggestion in the draft and a finding underlined. It saves
test-output/e2e/test_coach_tour-readme.png (1280x800); docs/images/coach-tour.png is a copy
of it, refreshed by hand when the workbench changes."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import expect

from kefu.coach import faq_cache
from kefu.coach.reading import forget_shop_reader
from kefu.playbook.products import create_product
from kefu.shops.models import Shop
from tests.e2e.pages import ChatWindow, Coach, Desk

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

DESK_SIZE = {"width": 1280, "height": 800}
GREETING = "在吗？想问下冰感防晒外套"
ANSWER = "在的亲～冰感防晒外套有现货，今天拍今天发哦"
OBJECTION = "这个也太贵了吧，别家才卖80"
ADDED = "这个价我不能再少了哦"


@pytest.fixture(autouse=True)
def _fresh_coach_caches() -> Iterator[None]:
    """The live server runs in this process: its per-shop caches must not outlive a test."""
    faq_cache.forget()
    forget_shop_reader()
    yield
    faq_cache.forget()


def test_coach_tour(make_shop, people_browsing, screenshot):
    # Given the demo shop's name and two of its products, and 小美 at her workbench
    people = make_shop()
    Shop.objects.filter(id=people.shop.id).update(name="暖暖家居生活馆")
    create_product(
        actor=people.owner,
        name="冰感防晒外套",
        list_price="129",
        floor_price="109",
        gift="防晒冰袖一副",
    )
    create_product(actor=people.owner, name="垂感亚麻阔腿裤", list_price="159", floor_price="135")
    agent_page = people_browsing.new_page(viewport=DESK_SIZE)
    desk = Desk.log_in(agent_page, people.agent)
    coach = Coach(desk)

    # When a customer asks about the jacket, 小美 answers, and the customer haggles
    chat = ChatWindow.open(people_browsing.new_page(), people.shop)
    chat.send_and_confirm(GREETING)
    desk.open_only_conversation("mine")
    expect(coach.chips(GREETING)).to_be_visible()
    desk.reply(ANSWER)
    chat.send_and_confirm(OBJECTION)
    expect(coach.chip(OBJECTION, "objection_type")).to_have_text("价格")

    # and she picks the jacket, takes the 平均法 reply and adds a line of her own
    coach.pick_product("冰感防晒外套")
    average = coach.suggestions.filter(has_text="平均法").filter(has_text="冰感防晒外套")
    expect(average).to_have_count(1)
    average.locator("button.coach-sugg__button").click()
    expect(desk.input).not_to_have_value("")
    desk.input.press("End")
    desk.input.press_sequentially(f"～{ADDED}")

    # Then her line is underlined, with what to say instead on hover
    mark = coach.finding_marks.filter(has_text="我不能")
    expect(mark).to_have_count(1)
    coach.hover(mark)
    expect(coach.tip).to_contain_text("建议：")
    # The list under the draft says the same; the picture shows the draft uncovered.
    agent_page.mouse.move(620, 500)
    expect(coach.tip).to_be_hidden()
    agent_page.locator('[data-role="coach"]').evaluate("el => el.scrollTo(0, 0)")
    screenshot(agent_page, "readme")
