"""The coach pipeline on stored messages: chips in meta["coach"], the conversation's mood."""

from __future__ import annotations

import pytest

from kefu.chat import services as chat_services
from kefu.chat.models import Conversation
from kefu.coach.analyzer import jobs_from_events

from .conftest import customer_says

pytestmark = pytest.mark.django_db


def test_a_price_objection_is_stored_with_its_chips(make_shop):
    people = make_shop()

    message = customer_says(people.shop, "这个也太贵了吧，别家才卖80")

    coach = message.meta["coach"]
    assert (coach["intent"], coach["objection_type"]) == ("objection", "price")
    assert coach["labels"]["intent"] == "异议"
    assert coach["labels"]["objection_type"] == "价格异议"
    assert coach["corrected"] is False
    assert set(coach["confidence"]) >= {"intent", "objection_type", "emotion"}


def test_an_angry_customer_flags_the_conversation(make_shop):
    people = make_shop()

    message = customer_says(people.shop, "你们什么破店！！！骗子，我要投诉你们")

    conv = Conversation.objects.get(id=message.conversation_id)
    assert conv.mood == message.meta["coach"]["emotion"] == "angry"


def test_a_calm_message_afterwards_clears_the_flag(make_shop):
    people = make_shop()
    first = customer_says(people.shop, "你们什么破店！！！骗子，我要投诉你们")
    visitor = Conversation.objects.get(id=first.conversation_id).visitor

    customer_says(people.shop, "好的，谢谢你", visitor=visitor)

    assert Conversation.objects.get(id=first.conversation_id).mood == ""


def test_images_and_agent_messages_are_not_read(make_shop):
    people = make_shop()
    visitor = chat_services.get_or_create_visitor(shop=people.shop, token=None)

    (_stored,), events = chat_services.store_messages(
        [
            chat_services.Outgoing(
                shop_id=people.shop.id,
                visitor_id=visitor.id,
                client_id="img",
                text="",
                image="x.png",
            )
        ]
    )

    assert jobs_from_events(events) == []


def test_the_wire_message_carries_the_reading_for_staff_but_not_for_the_visitor(make_shop):
    from kefu.chat import wire

    people = make_shop()
    message = customer_says(people.shop, "这个也太贵了吧，别家才卖80")

    history = chat_services.history(conversation_id=message.conversation_id, after_seq=0)

    staff = next(m for m in history if m["id"] == message.id)
    assert staff["meta"]["coach"]["objection_type"] == "price"
    assert "coach" not in wire.for_visitor(staff)["meta"]
