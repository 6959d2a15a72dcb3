"""Storing messages: idempotent, numbered, assigned, auto-replied, scoped to the shop."""

from __future__ import annotations

import datetime as dt

import pytest

from kefu.chat import services as chat_services
from kefu.chat.models import Conversation, Message, Status
from kefu.errors import Forbidden, NotFound, ServiceError
from tests.conftest import set_online


def visitor_of(shop):  # type: ignore[no-untyped-def]
    return chat_services.get_or_create_visitor(shop=shop, token=None)


def send(visitor, client_id: str, text: str = "你好", conversation_id=None):  # type: ignore[no-untyped-def]
    (stored,), events = chat_services.store_messages([chat_services.Outgoing(
        shop_id=visitor.shop_id, visitor_id=visitor.id, client_id=client_id, text=text,
        conversation_id=conversation_id,
    )])
    return stored, events


def agent_send(member, conversation_id: int, client_id: str, text: str = "您好"):  # type: ignore[no-untyped-def]
    (stored,), _events = chat_services.store_messages([chat_services.Outgoing(
        shop_id=member.shop_id, member_id=member.id, conversation_id=conversation_id,
        client_id=client_id, text=text,
    )])
    return stored


def test_a_retried_client_id_is_stored_once(make_shop):
    people = make_shop()
    visitor = visitor_of(people.shop)
    first, _ = send(visitor, "c-1", "在吗")
    again, events = send(visitor, "c-1", "在吗")
    assert again.message["id"] == first.message["id"]
    assert events == []  # nothing new to broadcast
    assert Message.objects.filter(client_id="c-1").count() == 1


def test_messages_are_numbered_per_conversation_without_gaps(make_shop):
    people = make_shop()
    a, b = visitor_of(people.shop), visitor_of(people.shop)
    for i in range(3):
        send(a, f"a{i}")
        send(b, f"b{i}")
    for visitor in (a, b):
        seqs = list(Message.objects.filter(conversation__visitor=visitor)
                    .order_by("seq").values_list("seq", flat=True))
        assert seqs == list(range(1, len(seqs) + 1))


def test_a_batch_with_many_conversations_numbers_each_correctly(make_shop):
    people = make_shop()
    visitors = [visitor_of(people.shop) for _ in range(5)]
    for v in visitors:
        send(v, "first")
    convs = {v.id: Conversation.objects.get(visitor=v).id for v in visitors}
    items = [
        chat_services.Outgoing(shop_id=people.shop.id, visitor_id=v.id, client_id=f"m{i}",
                               text=f"第{i}条", conversation_id=convs[v.id])
        for i in range(4) for v in visitors
    ]
    results, _ = chat_services.store_messages(items + items[:3])  # with in-batch duplicates
    assert all(r.error is None for r in results)
    for v in visitors:
        seqs = list(Message.objects.filter(conversation_id=convs[v.id])
                    .order_by("seq").values_list("seq", flat=True))
        assert seqs == list(range(1, len(seqs) + 1))
        assert Message.objects.filter(conversation_id=convs[v.id], client_id="m0").count() == 1


def test_first_message_goes_to_the_online_agent_with_fewest_open_chats(make_shop):
    people = make_shop()
    set_online(people.agent, people.agent2)
    first, _ = send(visitor_of(people.shop), "x")
    second, _ = send(visitor_of(people.shop), "y")
    assignees = {
        Conversation.objects.get(id=m.message["conversation"]).assignee_id
        for m in (first, second)
    }
    assert assignees == {people.agent.id, people.agent2.id}


def test_nobody_online_gets_the_away_message_once(make_shop):
    people = make_shop(away_message="客服下线啦，请留言")
    visitor = visitor_of(people.shop)
    send(visitor, "1")
    send(visitor, "2")
    system = list(Message.objects.filter(sender="system").values_list("text", flat=True))
    assert system == ["客服下线啦，请留言"]


def test_outside_business_hours_gets_the_away_message(make_shop):
    people = make_shop(hours_start="09:00", hours_end="09:01", away_message="已下班")
    set_online(people.agent)
    send(visitor_of(people.shop), "1")
    conv = Conversation.objects.get()
    texts = list(Message.objects.filter(sender="system").values_list("text", flat=True))
    # The test may run inside that one minute; either way the rule holds.
    from kefu.shops.services import is_open_now

    if not is_open_now(people.shop):
        assert texts == ["已下班"] and conv.assignee_id is None


def test_all_agents_full_gets_the_busy_message_with_queue_place(make_shop):
    people = make_shop(busy_message="您排在第{排队人数}位")
    set_online(people.agent)  # capacity 2
    for i in range(3):
        send(visitor_of(people.shop), f"c{i}")
    send(visitor_of(people.shop), "c4")
    busy = list(Message.objects.filter(sender="system", text__startswith="您排在")
                .order_by("id").values_list("text", flat=True))
    assert busy == ["您排在第1位", "您排在第2位"]


def test_agent_reply_needs_the_conversation_to_be_theirs(make_shop):
    people = make_shop()
    set_online(people.agent)
    stored, _ = send(visitor_of(people.shop), "c")
    conv_id = stored.message["conversation"]
    refused = agent_send(people.agent2, conv_id, "r1")
    assert isinstance(refused.error, Forbidden)
    assert agent_send(people.supervisor, conv_id, "r2").error is None  # supervisors may
    assert agent_send(people.agent, conv_id, "r3").error is None


def test_an_agent_never_reaches_another_shops_conversation(make_shop):
    ours, theirs = make_shop(), make_shop()
    stored, _ = send(visitor_of(theirs.shop), "c")
    conv_id = stored.message["conversation"]
    assert isinstance(agent_send(ours.owner, conv_id, "r").error, NotFound)
    with pytest.raises(NotFound):
        chat_services.get_conversation_for(actor=ours.owner, conversation_id=conv_id)
    with pytest.raises(NotFound):
        chat_services.claim_conversation(actor=ours.owner, conversation_id=conv_id)


def test_a_token_opens_only_its_own_visitor(make_shop):
    one, other = make_shop(), make_shop()
    visitor = visitor_of(one.shop)
    token = chat_services.visitor_token(visitor)
    assert chat_services.get_or_create_visitor(shop=one.shop, token=token) == visitor
    stranger = chat_services.get_or_create_visitor(shop=other.shop, token=token)
    assert stranger != visitor and stranger.shop == other.shop
    forged = chat_services.get_or_create_visitor(shop=one.shop, token=token[:-2] + "xx")
    assert forged != visitor


@pytest.mark.parametrize("text,code", [("", "empty"), ("   ", "empty"), ("字" * 2001, "too_long"),
                                        (None, "bad_text")])
def test_bad_text_is_refused_with_a_reason(text, code):
    with pytest.raises(ServiceError) as err:
        chat_services.clean_text(text)
    assert err.value.code == code and err.value.message


def test_a_flooding_visitor_is_slowed_down():
    for i in range(10):
        chat_services.check_visitor_rate(424242, now=1000.0 + i * 0.1)
    with pytest.raises(ServiceError) as err:
        chat_services.check_visitor_rate(424242, now=1001.5)
    assert err.value.code == "rate_limited"
    chat_services.check_visitor_rate(424242, now=1012.0)  # the window has passed


def test_claim_transfer_close_walk_the_conversation_through(make_shop):
    people = make_shop()
    stored, _ = send(visitor_of(people.shop), "c")  # nobody online: waits
    conv_id = stored.message["conversation"]
    assert Conversation.objects.get(id=conv_id).status == Status.WAITING
    chat_services.claim_conversation(actor=people.agent, conversation_id=conv_id)
    with pytest.raises(ServiceError):
        chat_services.claim_conversation(actor=people.agent2, conversation_id=conv_id)
    chat_services.transfer_conversation(
        actor=people.agent, conversation_id=conv_id, to_member_id=people.agent2.id, note="老客户"
    )
    conv = Conversation.objects.get(id=conv_id)
    assert conv.assignee_id == people.agent2.id
    assert conv.events.filter(kind="transferred", note="老客户").exists()
    with pytest.raises(Forbidden):
        chat_services.close_conversation(actor=people.agent, conversation_id=conv_id)
    chat_services.close_conversation(actor=people.agent2, conversation_id=conv_id)
    assert Conversation.objects.get(id=conv_id).status == Status.CLOSED


def test_a_customer_writing_after_close_reopens_the_conversation(make_shop):
    people = make_shop()
    set_online(people.agent)
    visitor = visitor_of(people.shop)
    stored, _ = send(visitor, "c1")
    conv_id = stored.message["conversation"]
    chat_services.close_conversation(actor=people.agent, conversation_id=conv_id)
    again, _ = send(visitor, "c2", conversation_id=conv_id)
    assert again.message["conversation"] == conv_id
    conv = Conversation.objects.get(id=conv_id)
    assert conv.status in (Status.OPEN, Status.WAITING) and conv.events.filter(kind="reopened")


def test_history_returns_exactly_what_was_missed(make_shop):
    people = make_shop()
    visitor = visitor_of(people.shop)
    stored, _ = send(visitor, "c0")
    conv_id = stored.message["conversation"]
    for i in range(1, 6):
        send(visitor, f"c{i}", conversation_id=conv_id)
    last = Conversation.objects.get(id=conv_id).last_seq
    missed = chat_services.history(conversation_id=conv_id, after_seq=last - 3)
    assert [m["seq"] for m in missed] == [last - 2, last - 1, last]


def test_waiting_chats_go_to_an_agent_who_comes_online(make_shop):
    people = make_shop()
    stored, _ = send(visitor_of(people.shop), "c")
    set_online(people.agent)
    events = chat_services.assign_waiting(shop_id=people.shop.id)
    conv = Conversation.objects.get(id=stored.message["conversation"])
    assert conv.assignee_id == people.agent.id and conv.status == Status.OPEN
    assert any(e.kind == "conversation" for e in events)


def test_business_hours_across_midnight():
    from kefu.shops.models import Shop
    from kefu.shops.services import is_open_now

    shop = Shop(hours_start=dt.time(20), hours_end=dt.time(2), open_days="0123456")
    tz = dt.timezone(dt.timedelta(hours=8))
    assert is_open_now(shop, dt.datetime(2026, 11, 23, 23, 0, tzinfo=tz))
    assert is_open_now(shop, dt.datetime(2026, 11, 23, 1, 0, tzinfo=tz))
    assert not is_open_now(shop, dt.datetime(2026, 11, 23, 12, 0, tzinfo=tz))


def test_clients_cannot_use_the_ids_the_server_gives_its_own_messages():
    for reserved in ("sys-assign-4", "faq-3-7"):
        with pytest.raises(ServiceError) as err:
            chat_services.clean_client_id(reserved)
        assert err.value.code == "bad_client_id"


def test_auto_replies_never_collide_with_a_customer_message(make_shop):
    people = make_shop()
    visitor = visitor_of(people.shop)
    stored, _ = send(visitor, "c1")  # nobody online: the away reply follows
    conv_id = stored.message["conversation"]
    send(visitor, "sys-assign-4-lookalike", conversation_id=conv_id)
    set_online(people.agent)
    chat_services.assign_waiting(shop_id=people.shop.id)  # stores its greeting
    conv = Conversation.objects.get(id=conv_id)
    assert conv.assignee_id == people.agent.id
    seqs = list(Message.objects.filter(conversation_id=conv_id).values_list("seq", flat=True))
    assert sorted(seqs) == list(range(1, len(seqs) + 1))


def test_a_deactivated_agent_can_no_longer_reply_and_their_chats_go_back_to_the_queue(make_shop):
    from kefu.shops import services as shop_services

    people = make_shop()
    set_online(people.agent)
    stored, _ = send(visitor_of(people.shop), "c")
    conv_id = stored.message["conversation"]
    assert Conversation.objects.get(id=conv_id).assignee_id == people.agent.id
    shop_services.update_member(actor=people.owner, member_id=people.agent.id, is_active=False)
    refused = agent_send(people.agent, conv_id, "late")
    assert isinstance(refused.error, Forbidden)
    conv = Conversation.objects.get(id=conv_id)
    assert conv.assignee_id != people.agent.id
