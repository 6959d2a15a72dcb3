"""The pre-send check on agent replies: high findings need confirmation, then get flagged."""

from __future__ import annotations

import pytest

from kefu.chat.models import Conversation, Message
from kefu.coach.models import ReviewFlag
from kefu.coach.presend import NeedsConfirmation
from kefu.playbook.models import CheckerTerm

from .conftest import agent_says, customer_says

pytestmark = pytest.mark.django_db


def test_a_rude_reply_is_not_stored_without_confirmation(make_shop):
    people = make_shop()
    conv_id = customer_says(people.shop, "能便宜点吗").conversation_id

    stored = agent_says(people.agent, conv_id, "爱买不买")

    assert isinstance(stored.error, NeedsConfirmation)
    assert stored.error.code == "needs_confirmation"
    assert any(f["severity"] == "high" and f["text"] for f in stored.error.findings)
    assert not Message.objects.filter(conversation_id=conv_id, sender="agent").exists()


def test_a_refused_reply_does_not_claim_the_conversation(make_shop):
    people = make_shop()
    conv_id = customer_says(people.shop, "能便宜点吗").conversation_id

    agent_says(people.agent, conv_id, "爱买不买")

    conv = Conversation.objects.get(id=conv_id)
    assert conv.assignee_id is None and conv.status == "waiting"


def test_a_confirmed_rude_reply_is_stored_and_flagged_for_review(make_shop):
    people = make_shop()
    conv_id = customer_says(people.shop, "能便宜点吗").conversation_id
    agent = people.agent

    stored = agent_says(agent, conv_id, "爱买不买", confirm=True)

    assert stored.error is None
    flag = ReviewFlag.objects.get(message_id=stored.message["id"])
    assert flag.member_id == agent.id and flag.shop_id == people.shop.id
    assert flag.findings and flag.findings[0]["severity"] == "high"


def test_a_good_reply_is_stored_without_a_flag(make_shop):
    people = make_shop()
    conv_id = customer_says(people.shop, "能便宜点吗").conversation_id

    stored = agent_says(people.agent, conv_id, "亲，这款已经是活动价了呢，我帮您申请一份小赠品～")

    assert stored.error is None
    assert not ReviewFlag.objects.exists()


def test_the_shops_own_banned_word_needs_confirmation(make_shop):
    people = make_shop()
    CheckerTerm.objects.create(shop=people.shop, term="加微信", category="rude", severity="high")
    conv_id = customer_says(people.shop, "还有别的联系方式吗").conversation_id

    stored = agent_says(people.agent, conv_id, "亲，加微信聊吧")

    assert isinstance(stored.error, NeedsConfirmation)
    assert [f["text"] for f in stored.error.findings] == ["加微信"]
