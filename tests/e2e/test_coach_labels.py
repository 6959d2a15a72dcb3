"""What the coach read, and what the agent does with it: she corrects a wrong chip and the
stored label changes; a complaint brings up the six-step guide and flags the chat."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import expect

from kefu.chat.models import Conversation, Message, SenderKind
from kefu.coach import faq_cache
from kefu.coach.models import Correction
from kefu.coach.reading import forget_shop_reader
from tests.e2e.pages import ChatWindow, Coach, Desk

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

DESK_SIZE = {"width": 1280, "height": 800}
QUESTION = "这个毯子是纯羊毛的吗"
COMPLAINT = "收到的杯子是碎的，你们怎么包装的！再不处理我就投诉"


@pytest.fixture(autouse=True)
def _fresh_coach_caches() -> Iterator[None]:
    """The live server runs in this process: its per-shop caches must not outlive a test."""
    faq_cache.forget()
    forget_shop_reader()
    yield
    faq_cache.forget()


def test_coach_correction(make_shop, people_browsing, screenshot):
    # Given 小美 at work and a customer's calm question, read as 咨询 · 平静
    people = make_shop()
    agent_page = people_browsing.new_page(viewport=DESK_SIZE)
    desk = Desk.log_in(agent_page, people.agent)
    coach = Coach(desk)
    chat = ChatWindow.open(people_browsing.new_page(), people.shop)
    chat.send_and_confirm(QUESTION)
    desk.open_only_conversation("mine")
    expect(coach.chip(QUESTION, "intent")).to_have_text("咨询")
    expect(coach.chip(QUESTION, "emotion")).to_have_text("平静")
    mood_flag = desk.rows.first.locator(".conv__mood")
    expect(mood_flag).to_have_count(0)

    # When she knows this customer better and corrects the emotion to 不满 in the chip menu
    coach.chip(QUESTION, "emotion").click()
    expect(coach.chip_menu).to_be_visible()
    expect(coach.chip_menu).to_contain_text("更正情绪")
    screenshot(agent_page, "1-chip-menu")
    coach.chip_menu.locator('.chip-menu__item[data-value="dissatisfied"]').click()

    # Then the chip says so, marked as corrected by a person
    expect(coach.chip(QUESTION, "emotion")).to_have_text("不满")
    expect(coach.chips(QUESTION)).to_have_class(re.compile(r"\bis-corrected\b"))
    expect(coach.chips(QUESTION).locator(".coach-chips__mark")).to_be_visible()
    # and the conversation is flagged 不满 in the list
    expect(mood_flag).to_have_text("不满")
    expect(mood_flag).to_have_attribute("data-mood", "dissatisfied")
    # and the panel follows the corrected reading: a dissatisfied customer gets the guide
    expect(coach.reading).to_contain_text("不满")
    expect(coach.guide_title).to_have_text("投诉处理六步")
    screenshot(agent_page, "2-corrected")

    # and the stored label changed, with the correction kept for retraining
    message = Message.objects.get(text=QUESTION, sender=SenderKind.CUSTOMER)
    stored = message.meta["coach"]
    assert (stored["emotion"], stored["corrected"]) == ("dissatisfied", True)
    assert stored["intent"] == "inquiry"
    correction = Correction.objects.get(message=message)
    assert (correction.field, correction.old_value, correction.new_value) == (
        "emotion",
        "neutral",
        "dissatisfied",
    )
    assert correction.member_id == people.agent.id
    assert Conversation.objects.get(id=message.conversation_id).mood == "dissatisfied"

    # When she reloads the workbench, the corrected chip and the flag are still there
    agent_page.reload()
    desk.wait_connected()
    expect(mood_flag).to_have_text("不满")
    desk.rows.first.click()
    expect(coach.chip(QUESTION, "emotion")).to_have_text("不满")
    assert people_browsing.dialogs == []


def test_coach_complaint_guide(make_shop, people_browsing, screenshot):
    # Given 小美 at work
    people = make_shop()
    agent_page = people_browsing.new_page(viewport=DESK_SIZE)
    desk = Desk.log_in(agent_page, people.agent)
    coach = Coach(desk)

    # When a customer complains, angry, about a broken cup
    chat = ChatWindow.open(people_browsing.new_page(), people.shop)
    chat.send_and_confirm(COMPLAINT)
    desk.open_only_conversation("mine")

    # Then the message reads as a complaint from an upset customer
    expect(coach.chip(COMPLAINT, "intent")).to_have_text("投诉")
    emotion = coach.chip(COMPLAINT, "emotion")
    expect(emotion).to_have_attribute("data-value", re.compile(r"^(angry|dissatisfied)$"))
    # and the conversation is flagged in the list
    flag = desk.rows.first.locator(".conv__mood")
    expect(flag).to_have_attribute("data-mood", re.compile(r"^(angry|dissatisfied)$"))

    # and the panel shows the six-step complaint guide, where she stands, and what never to say
    expect(coach.guide_block).to_be_visible()
    expect(coach.guide_title).to_have_text("投诉处理六步")
    expect(coach.guide_steps).to_have_count(6)
    expect(coach.current_step).to_have_count(1)
    expect(coach.current_step.locator(".coach-step__now")).to_have_text("现在")
    expect(coach.current_step.locator(".coach-step__n")).to_have_text("1")
    never = coach.current_step.locator(".coach-step__never li")
    expect(never.first).to_be_visible()
    assert never.count() >= 1
    screenshot(agent_page, "1-complaint-guide")
    assert people_browsing.dialogs == []
