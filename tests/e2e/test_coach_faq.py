"""FAQ auto-answer in both UIs: with nobody online the assistant answers from the shop's FAQ,
marked as the assistant's, and the chat keeps waiting for a person; in suggest mode the
answer only shows in the agent's panel."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from playwright.sync_api import expect

from kefu.chat.models import Conversation, Message, SenderKind, Status
from kefu.coach import faq_cache
from kefu.coach.reading import forget_shop_reader
from kefu.playbook.faq_entries import create_faq_entry
from kefu.shops.models import Membership
from tests.e2e.pages import ChatWindow, Coach, Desk

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

DESK_SIZE = {"width": 1280, "height": 800}
QUESTIONS = "什么时候发货\n几天能发货"
ANSWER = "16点前付款的订单当天发出，16点以后付款的第二天发出，发出后单号会同步到订单里～"
ASKED = "今天下单啥时候能发货呀"
# The first FAQ match in a process loads the sentence encoder: seconds on a busy machine.
FIRST_ANSWER_MS = 60_000
READ_WAIT_S = 60.0


@pytest.fixture(autouse=True)
def _fresh_coach_caches() -> Iterator[None]:
    """The live server runs in this process: its per-shop caches must not outlive a test."""
    faq_cache.forget()
    forget_shop_reader()
    yield
    faq_cache.forget()


def watching_the_queue(member: Membership) -> Membership:
    """A supervisor with no seats of her own: opening the workbench takes no chat from the
    queue (a free agent coming online would be handed it at once)."""
    Membership.objects.filter(id=member.id).update(capacity=0)
    return member


def wait_until_read(text: str) -> None:
    """Bounded wait until the coach stored its reading of a customer message. The coach
    reads batches one after another, each finished (FAQ answers included) before the next:
    once a later message is read, everything before it was handled."""
    deadline = time.monotonic() + READ_WAIT_S
    while time.monotonic() < deadline:
        meta = (
            Message.objects.filter(text=text, sender=SenderKind.CUSTOMER)
            .values_list("meta", flat=True)
            .first()
        )
        if meta and "coach" in meta:
            return
        time.sleep(0.05)
    pytest.fail(f"the coach did not read {text!r} within {READ_WAIT_S:.0f} s")


def test_coach_faq_auto_answer(make_shop, people_browsing, screenshot):
    # Given a shop answering FAQs itself while nobody is online, with a shipping entry
    people = make_shop(faq_mode="auto_offline")
    create_faq_entry(actor=people.owner, questions=QUESTIONS, answer=ANSWER)
    supervisor = watching_the_queue(people.supervisor)

    # When a customer asks when an order ships, in words of her own
    customer_page = people_browsing.new_page()
    chat = ChatWindow.open(customer_page, people.shop)
    chat.send_and_confirm(ASKED)

    # Then the assistant answers, marked as the assistant's
    answer = chat.stored("assistant", ANSWER)
    expect(answer).to_be_visible(timeout=FIRST_ANSWER_MS)
    row = chat.messages.locator(".msg--from-assistant[data-seq]")
    expect(row).to_have_count(1)
    expect(row.locator(".msg__label")).to_have_text("智能助手")
    screenshot(customer_page, "1-customer-gets-the-answer")

    # and the chat still waits for a person
    conv = Conversation.objects.get(shop=people.shop)
    assert (conv.status, conv.assignee_id) == (Status.WAITING, None)

    # When the supervisor opens the workbench
    agent_page = people_browsing.new_page(viewport=DESK_SIZE)
    desk = Desk.log_in(agent_page, supervisor)
    desk.open_only_conversation("waiting")

    # Then the chat is in 排队中, and the answer is marked as the assistant's there too
    expect(desk.status).to_have_text("排队中")
    expect(desk.stored("customer", ASKED)).to_be_visible()
    expect(desk.stored("assistant", ANSWER)).to_be_visible()
    assistant = desk.history.locator(".msg--from-assistant[data-seq]")
    expect(assistant).to_have_count(1)
    expect(assistant.locator(".msg__label")).to_have_text("智能助手")
    expect(Coach(desk).reading).to_contain_text("订单/物流")
    screenshot(agent_page, "2-desk-shows-the-assistant-answer")
    assert people_browsing.dialogs == []


def test_coach_faq_suggest_mode_never_answers(make_shop, people_browsing, screenshot):
    # Given a shop that only wants FAQ answers suggested to its agents, nobody online
    people = make_shop(faq_mode="suggest")
    create_faq_entry(actor=people.owner, questions=QUESTIONS, answer=ANSWER)
    supervisor = watching_the_queue(people.supervisor)

    # When a customer asks the FAQ question, and (once it was read) asks it again
    customer_page = people_browsing.new_page()
    chat = ChatWindow.open(customer_page, people.shop)
    chat.send_and_confirm(ASKED)
    wait_until_read(ASKED)
    chat.send_and_confirm("几天能发货")
    wait_until_read("几天能发货")

    # Then no automatic answer was sent for the first question
    assert not Message.objects.filter(sender=SenderKind.ASSISTANT).exists()
    expect(chat.messages.locator(".msg--from-assistant")).to_have_count(0)

    # and the supervisor finds the answer suggested in the panel instead, one click away
    agent_page = people_browsing.new_page(viewport=DESK_SIZE)
    desk = Desk.log_in(agent_page, supervisor)
    desk.open_only_conversation("waiting")
    faq = agent_page.locator('[data-role="coach-faq"]')
    expect(faq).to_contain_text(ANSWER)
    expect(desk.history.locator(".msg--from-assistant")).to_have_count(0)
    screenshot(agent_page, "1-answer-suggested-not-sent")
    assert not Message.objects.filter(sender=SenderKind.ASSISTANT).exists()
