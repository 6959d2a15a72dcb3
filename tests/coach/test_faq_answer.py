"""FAQ auto-answer: the assistant answers from the shop's FAQ when the shop allows it."""

from __future__ import annotations

import pytest

from kefu.chat.models import Conversation, Message
from kefu.coach.autoanswer import should_answer
from kefu.playbook.models import FaqEntry
from kefu.shops.models import FaqMode

from .conftest import customer_says, set_online_now

pytestmark = pytest.mark.django_db
SHIPPING = "下单后48小时内发货，节假日也照常发哦～"


def shop_with_faq(make_shop, mode: str, **settings):  # type: ignore[no-untyped-def]
    people = make_shop(faq_mode=mode, **settings)
    FaqEntry.objects.create(shop=people.shop, questions="多久发货\n什么时候发货", answer=SHIPPING)
    FaqEntry.objects.create(shop=people.shop, questions="可以开发票吗", answer="可以开电子发票的")
    return people


def assistant_texts(conversation_id: int) -> list[str]:
    return list(
        Message.objects.filter(conversation_id=conversation_id, sender="assistant")
        .order_by("seq")
        .values_list("text", flat=True)
    )


def test_nobody_online_the_assistant_answers_and_the_chat_keeps_waiting(make_shop):
    people = shop_with_faq(make_shop, FaqMode.AUTO_OFFLINE)

    message = customer_says(people.shop, "请问什么时候发货呀")

    assert assistant_texts(message.conversation_id) == [SHIPPING]
    conv = Conversation.objects.get(id=message.conversation_id)
    assert conv.status == "waiting" and conv.assignee_id is None


def test_suggest_mode_sends_nothing(make_shop):
    people = shop_with_faq(make_shop, FaqMode.SUGGEST)

    message = customer_says(people.shop, "请问什么时候发货呀")

    assert assistant_texts(message.conversation_id) == []


def test_an_agent_online_means_no_auto_answer_in_offline_mode(make_shop):
    people = shop_with_faq(make_shop, FaqMode.AUTO_OFFLINE)
    set_online_now(people.agent)

    message = customer_says(people.shop, "请问什么时候发货呀")

    assert assistant_texts(message.conversation_id) == []


def test_the_same_entry_is_not_answered_twice_in_a_row(make_shop):
    people = shop_with_faq(make_shop, FaqMode.AUTO_OFFLINE)
    first = customer_says(people.shop, "请问什么时候发货呀")
    visitor = Conversation.objects.get(id=first.conversation_id).visitor

    customer_says(people.shop, "多久发货", visitor=visitor)

    assert assistant_texts(first.conversation_id) == [SHIPPING]


def test_an_angry_customer_gets_a_person_not_the_faq(make_shop):
    people = shop_with_faq(make_shop, FaqMode.AUTO_OFFLINE)

    message = customer_says(people.shop, "什么时候发货！！！骗子店，再不发我就投诉你们")

    assert assistant_texts(message.conversation_id) == []


@pytest.mark.parametrize(
    ("mode", "score", "online", "assigned", "expected"),
    [
        (FaqMode.AUTO_SCORE, 0.9, True, False, True),
        (FaqMode.AUTO_SCORE, 0.7, False, False, False),
        (FaqMode.AUTO_SCORE, 0.9, True, True, False),
        (FaqMode.AUTO_OFFLINE, 0.5, False, True, True),
        (FaqMode.AUTO_OFFLINE, 0.99, True, False, False),
        (FaqMode.SUGGEST, 0.99, False, False, False),
        (FaqMode.OFF, 0.99, False, False, False),
    ],
)
def test_when_the_assistant_answers(mode, score, online, assigned, expected):
    assert (
        should_answer(
            mode=mode, threshold=0.8, score=score, anyone_online=online, assigned=assigned
        )
        is expected
    )
