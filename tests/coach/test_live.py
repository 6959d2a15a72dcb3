"""The coach over the WebSockets of a live server: chips follow the message, the pre-send
check asks before a rude reply goes out, and nothing staff-only reaches the visitor."""

from __future__ import annotations

import asyncio
import json
from decimal import Decimal

import pytest

from kefu.coach.models import ReviewFlag
from kefu.playbook.models import FaqEntry, Product
from kefu.shops.models import FaqMode
from tests.realtime.test_endpoint import agent, recv_until, session_cookie, visitor

from .conftest import logged_in

pytestmark = pytest.mark.django_db(transaction=True)


# The first FAQ match in a process loads the sentence encoder (seconds on a busy machine).
FIRST_FAQ_TIMEOUT = 30


async def recv_frame(ws, kind: str, predicate, *, timeout: float):  # type: ignore[no-untyped-def]
    async with asyncio.timeout(timeout):
        while True:
            frame = json.loads(await ws.recv())
            if frame["type"] == kind and predicate(frame):
                return frame


def run(coro):  # type: ignore[no-untyped-def]
    return asyncio.run(coro)


async def collect_until_pong(ws, frames: list[str]) -> None:  # type: ignore[no-untyped-def]
    """Everything the socket received so far (a ping's pong marks the end)."""
    await ws.send(json.dumps({"type": "ping"}))
    async with asyncio.timeout(5):
        while True:
            raw = await ws.recv()
            frames.append(raw)
            if json.loads(raw)["type"] == "pong":
                return


def test_the_agent_gets_the_message_then_its_chips(live_server_asgi, make_shop):
    people = make_shop()
    cookie = session_cookie(people.agent)

    async def scenario() -> None:
        a_ws, _ready = await agent(live_server_asgi, cookie)
        v_ws, _ready = await visitor(live_server_asgi, people.shop)
        await v_ws.send(
            json.dumps({"type": "message", "client_id": "v1", "text": "这个也太贵了吧，别家才卖80"})
        )
        seen = await recv_until(a_ws, "message", lambda f: f["message"]["client_id"] == "v1")
        chips = await recv_until(a_ws, "analysis")
        assert chips["message_id"] == seen["message"]["id"]
        assert chips["seq"] == seen["message"]["seq"]
        assert chips["coach"]["labels"]["objection_type"] == "价格异议"
        visitor_frames: list[str] = []
        await collect_until_pong(v_ws, visitor_frames)
        assert not any(json.loads(f)["type"] == "analysis" for f in visitor_frames)
        await v_ws.send(json.dumps({"type": "resume", "after_seq": 0}))
        history = await recv_until(v_ws, "history")
        assert all("coach" not in m["meta"] for m in history["messages"])
        await v_ws.close()
        await a_ws.close()

    run(scenario())


def test_a_rude_reply_needs_confirmation_then_is_flagged(live_server_asgi, make_shop):
    people = make_shop()
    cookie = session_cookie(people.agent)

    async def scenario() -> None:
        a_ws, _ready = await agent(live_server_asgi, cookie)
        v_ws, _ready = await visitor(live_server_asgi, people.shop)
        await v_ws.send(json.dumps({"type": "message", "client_id": "v1", "text": "能便宜点吗"}))
        seen = await recv_until(a_ws, "message", lambda f: f["message"]["client_id"] == "v1")
        reply = {
            "type": "message",
            "conversation": seen["message"]["conversation"],
            "client_id": "r1",
            "text": "爱买不买",
        }
        await a_ws.send(json.dumps(reply))
        error = await recv_until(a_ws, "error")
        assert error["code"] == "needs_confirmation" and error["client_id"] == "r1"
        assert error["findings"][0]["severity"] == "high"
        await a_ws.send(json.dumps({**reply, "confirm": True}))
        ack = await recv_until(a_ws, "ack")
        assert ack["message"]["text"] == "爱买不买"
        await v_ws.close()
        await a_ws.close()
        return ack["message"]["id"]

    message_id = run(scenario())
    assert ReviewFlag.objects.filter(message_id=message_id, member=people.agent).exists()


def test_the_floor_price_never_reaches_the_visitor(live_server_asgi, make_shop):
    people = make_shop()
    product = Product.objects.create(
        shop=people.shop, name="羊毛衫", list_price=Decimal("299"), floor_price=Decimal("237.5")
    )
    cookie = session_cookie(people.agent)
    staff = logged_in(people.agent)

    async def scenario() -> list[str]:
        a_ws, _ready = await agent(live_server_asgi, cookie)
        v_ws, _ready = await visitor(live_server_asgi, people.shop)
        frames: list[str] = []
        await v_ws.send(
            json.dumps({"type": "message", "client_id": "v1", "text": "太贵了，能便宜吗"})
        )
        seen = await recv_until(a_ws, "message", lambda f: f["message"]["client_id"] == "v1")
        conv_id = seen["message"]["conversation"]
        await recv_until(a_ws, "analysis")
        panel = await asyncio.to_thread(
            lambda: staff.get(f"/api/conversations/{conv_id}/coach?product={product.id}").json()
        )
        assert panel["products"][0]["floor_price"] == "237.5"
        offer = await asyncio.to_thread(
            lambda: staff.post(
                "/api/coach/offer",
                json.dumps({"product": product.id, "rounds": []}),
                content_type="application/json",
            ).json()
        )
        await a_ws.send(
            json.dumps(
                {
                    "type": "message",
                    "conversation": conv_id,
                    "client_id": "r1",
                    "text": offer["wording"],
                }
            )
        )
        await recv_until(a_ws, "ack")
        await recv_until(v_ws, "message", lambda f: f["message"]["client_id"] == "r1")
        await collect_until_pong(v_ws, frames)
        await v_ws.send(json.dumps({"type": "resume", "after_seq": 0}))
        frames.append(json.dumps(await recv_until(v_ws, "history"), ensure_ascii=False))
        await v_ws.close()
        await a_ws.close()
        return frames

    frames = run(scenario())
    assert frames and not any("237.5" in f for f in frames)


def test_the_assistant_answers_the_visitor_when_nobody_is_online(live_server_asgi, make_shop):
    people = make_shop(faq_mode=FaqMode.AUTO_OFFLINE)
    FaqEntry.objects.create(
        shop=people.shop, questions="多久发货\n什么时候发货", answer="下单后48小时内发货哦"
    )

    async def scenario() -> None:
        v_ws, _ready = await visitor(live_server_asgi, people.shop)
        await v_ws.send(
            json.dumps({"type": "message", "client_id": "v1", "text": "什么时候发货呀"})
        )
        answer = await recv_frame(
            v_ws,
            "message",
            lambda f: f["message"]["sender"] == "assistant",
            timeout=FIRST_FAQ_TIMEOUT,
        )
        assert answer["message"]["text"] == "下单后48小时内发货哦"
        await v_ws.close()

    run(scenario())
