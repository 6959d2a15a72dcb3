"""Two `kefu serve` processes sharing PostgreSQL and Redis act as one desk.

A customer connected to process A and an agent connected to process B talk live:
messages and typing cross between the processes through Redis pub/sub.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import free_port, require_service
from tests.realtime.wsclient import (
    PG_BASE_URL,
    ServerProcess,
    ShopInfo,
    base_env,
    create_shop,
    login,
    new_client_id,
    open_agent,
    open_visitor,
    postgres_database,
    postgres_reachable,
)

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.redis]


@dataclass
class Desk:
    shop: ShopInfo
    a: ServerProcess
    b: ServerProcess


@pytest.fixture
def two_servers(tmp_path: Path, redis_url: str) -> Iterator[Desk]:
    require_service("PostgreSQL", postgres_reachable(), f"{PG_BASE_URL}; set KEFU_TEST_PG_URL")
    with postgres_database() as database_url:
        env = base_env(
            tmp_path,
            DATABASE_URL=database_url,
            REDIS_URL=redis_url,
            KEFU_SECRET_KEY=uuid.uuid4().hex * 2,
        )
        shop = create_shop(env)  # a new shop id per run: its Redis channel is ours alone
        log = tmp_path / "servers.log"
        a = ServerProcess(env, free_port(), log)
        b = ServerProcess(env, free_port(), log)
        try:
            a.start()  # one after the other: both collect static files into the same data dir
            b.start()
            yield Desk(shop, a, b)
        except BaseException:
            print(a.output())
            raise
        finally:
            a.stop()
            b.stop()


def _dump_on_failure(desk: Desk) -> None:
    print("--- server output ---")
    print(desk.a.output())


async def test_customer_on_one_process_and_agent_on_another_talk_live(two_servers: Desk) -> None:
    desk = two_servers
    try:
        # given an agent on process B and a customer on process A
        session = await login(desk.b.url, desk.shop.agent_usernames[0])
        agent, agent_ready = await open_agent(desk.b.ws_url, session)
        visitor, _ready = await open_visitor(desk.a.ws_url, desk.shop.key)
        await visitor.send({"type": "resume", "after_seq": 0})
        await visitor.expect(lambda f: f["type"] == "history")

        # when the customer writes
        question_id = new_client_id()
        await visitor.send({"type": "message", "client_id": question_id, "text": "这件有S码吗？"})
        ack = await visitor.expect(lambda f: f["type"] == "ack")

        # then the agent on the other process receives it live
        assert ack["client_id"] == question_id
        conversation = ack["message"]["conversation"]
        live = await agent.expect(
            lambda f: f["type"] == "message" and f["message"]["client_id"] == question_id
        )
        assert live["message"]["text"] == "这件有S码吗？"
        assert live["message"]["conversation"] == conversation

        # when the agent opens the chat and types, the customer sees the typing indicator
        await agent.send({"type": "open", "conversation": conversation, "after_seq": 0})
        await agent.expect(lambda f: f["type"] == "history" and f["conversation"] == conversation)
        await agent.send({"type": "typing", "conversation": conversation, "typing": True})
        typing = await visitor.expect(lambda f: f["type"] == "typing")
        assert typing["typing"] is True and typing["by"] == "agent"

        # and the agent's reply reaches the customer on process A live
        reply_id = new_client_id()
        await agent.send(
            {
                "type": "message",
                "conversation": conversation,
                "client_id": reply_id,
                "text": "有的亲，S码现货～",
            }
        )
        reply_ack = await agent.expect(lambda f: f["type"] == "ack")
        assert reply_ack["client_id"] == reply_id
        reply = await visitor.expect(
            lambda f: f["type"] == "message" and f["message"]["client_id"] == reply_id
        )
        assert reply["message"]["sender"] == "agent"
        assert reply["message"]["text"] == "有的亲，S码现货～"

        # and the customer's typing reaches the agent on process B
        await visitor.send({"type": "typing", "typing": True})
        customer_typing = await agent.expect(lambda f: f["type"] == "typing")
        assert customer_typing == {
            "type": "typing",
            "conversation": conversation,
            "typing": True,
            "by": "customer",
        }
        assert agent_ready["shop"]["id"] == desk.shop.id
    except BaseException:
        _dump_on_failure(desk)
        raise
