"""The WebSocket endpoints against a live ASGI server: what a widget and a workbench see."""

from __future__ import annotations

import asyncio
import json
import uuid

import pytest
import websockets
from django.test import Client

from kefu.chat.models import Message

pytestmark = pytest.mark.django_db(transaction=True)
TIMEOUT = 5


def session_cookie(member) -> str:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(member.user)
    return client.cookies["sessionid"].value


async def recv_until(ws, kind: str, predicate=lambda f: True) -> dict:  # type: ignore[no-untyped-def]
    """Read frames until one of `kind` matching `predicate` arrives (bounded)."""
    async with asyncio.timeout(TIMEOUT):
        while True:
            frame = json.loads(await ws.recv())
            if frame["type"] == kind and predicate(frame):
                return frame


async def visitor(server, shop, token: str | None = None):  # type: ignore[no-untyped-def]
    url = f"{server.ws_url}/ws/visitor?key={shop.public_key}"
    ws = await websockets.connect(url + (f"&token={token}" if token else ""))
    ready = await recv_until(ws, "ready")
    return ws, ready


async def agent(server, cookie: str):  # type: ignore[no-untyped-def]
    ws = await websockets.connect(
        f"{server.ws_url}/ws/agent", additional_headers={"Cookie": f"sessionid={cookie}"}
    )
    ready = await recv_until(ws, "ready")
    return ws, ready


def run(coro):  # type: ignore[no-untyped-def]
    return asyncio.run(coro)


def test_customer_and_agent_talk_live(live_server_asgi, make_shop):
    people = make_shop()
    cookie = session_cookie(people.agent)

    async def scenario() -> None:
        a_ws, ready = await agent(live_server_asgi, cookie)
        assert ready["me"]["member_id"] == people.agent.id
        v_ws, v_ready = await visitor(live_server_asgi, people.shop)
        assert v_ready["shop"]["name"] == people.shop.name
        await v_ws.send(json.dumps({"type": "message", "client_id": "v1", "text": "在吗？"}))
        ack = await recv_until(v_ws, "ack")
        assert ack["message"]["seq"] == 1 and ack["message"]["text"] == "在吗？"
        seen = await recv_until(a_ws, "message", lambda f: f["message"]["client_id"] == "v1")
        conv_id = seen["message"]["conversation"]
        await a_ws.send(
            json.dumps(
                {
                    "type": "message",
                    "conversation": conv_id,
                    "client_id": "a1",
                    "text": "亲，在的呢",
                }
            )
        )
        await recv_until(a_ws, "ack")
        reply = await recv_until(v_ws, "message", lambda f: f["message"]["client_id"] == "a1")
        assert reply["message"]["sender"] == "agent" and reply["message"]["author"] == "小美"
        await a_ws.send(json.dumps({"type": "typing", "conversation": conv_id, "typing": True}))
        typing = await recv_until(v_ws, "typing")
        assert typing["by"] == "agent"
        await v_ws.close()
        await a_ws.close()

    run(scenario())


def test_reconnect_gets_exactly_what_was_missed(live_server_asgi, make_shop):
    people = make_shop()
    cookie = session_cookie(people.owner)

    async def scenario() -> None:
        v_ws, ready = await visitor(live_server_asgi, people.shop)
        token = ready["token"]
        await v_ws.send(json.dumps({"type": "message", "client_id": "m0", "text": "第一条"}))
        last = (await recv_until(v_ws, "ack"))["message"]["seq"]
        await v_ws.close()
        # While the visitor is away, an agent answers twice.
        a_ws, ready = await agent(live_server_asgi, cookie)
        conv_id = ready["conversations"][0]["id"]
        for i in range(2):
            await a_ws.send(
                json.dumps(
                    {
                        "type": "message",
                        "conversation": conv_id,
                        "client_id": f"r{i}",
                        "text": f"回复{i}",
                    }
                )
            )
            await recv_until(a_ws, "ack")
        v_ws, ready = await visitor(live_server_asgi, people.shop, token)
        assert ready["conversation"]["id"] == conv_id
        await v_ws.send(json.dumps({"type": "resume", "after_seq": last}))
        history = await recv_until(v_ws, "history")
        texts = [m["text"] for m in history["messages"] if m["sender"] == "agent"]
        assert texts == ["回复0", "回复1"]
        assert all(m["seq"] > last for m in history["messages"])
        # Re-sending an acknowledged message (lost ack) returns the same stored message.
        await v_ws.send(json.dumps({"type": "message", "client_id": "m0", "text": "第一条"}))
        again = await recv_until(v_ws, "ack")
        assert again["message"]["seq"] == last
        await v_ws.close()
        await a_ws.close()

    run(scenario())
    assert Message.objects.filter(client_id="m0").count() == 1


@pytest.mark.parametrize(
    "frame",
    [
        "not json",
        "[1,2]",
        '{"no":"type"}',
        '{"type":"explode"}',
        '{"type":"resume","after_seq":"x"}',
    ],
)
def test_a_malformed_frame_closes_only_that_socket(live_server_asgi, make_shop, frame):
    people = make_shop()

    async def scenario() -> None:
        bad, _ = await visitor(live_server_asgi, people.shop)
        good, _ = await visitor(live_server_asgi, people.shop)
        await bad.send(frame)
        error = await recv_until(bad, "error")
        assert error["code"] == "bad_frame"
        with pytest.raises(websockets.ConnectionClosed) as closed:
            async with asyncio.timeout(TIMEOUT):
                await bad.recv()
        assert closed.value.rcvd.code == 4400
        await good.send(json.dumps({"type": "message", "client_id": "ok", "text": "还在吗"}))
        assert (await recv_until(good, "ack"))["message"]["text"] == "还在吗"
        await good.close()

    run(scenario())


def test_an_over_long_message_is_refused_and_not_stored(live_server_asgi, make_shop):
    people = make_shop()

    async def scenario() -> None:
        ws, _ = await visitor(live_server_asgi, people.shop)
        await ws.send(json.dumps({"type": "message", "client_id": "long", "text": "长" * 2001}))
        error = await recv_until(ws, "error")
        assert error["code"] == "too_long" and error["client_id"] == "long"
        assert "2000" in error["message"]
        await ws.close()

    run(scenario())
    assert not Message.objects.filter(client_id="long").exists()


def test_a_flooding_visitor_is_rate_limited(live_server_asgi, make_shop):
    people = make_shop()

    async def scenario() -> list[str]:
        ws, _ = await visitor(live_server_asgi, people.shop)
        codes = []
        for i in range(15):
            await ws.send(json.dumps({"type": "message", "client_id": f"f{i}", "text": "刷屏"}))
        async with asyncio.timeout(TIMEOUT):
            while len(codes) < 15:
                frame = json.loads(await ws.recv())
                if frame["type"] in ("ack", "error"):
                    codes.append(frame.get("code", "ack"))
        await ws.close()
        return codes

    codes = run(scenario())
    assert codes.count("ack") == 10 and codes.count("rate_limited") == 5


def test_html_is_stored_and_sent_as_plain_text(live_server_asgi, make_shop):
    people = make_shop()
    payload = "<img src=x onerror=alert(1)>"

    async def scenario() -> str:
        ws, _ = await visitor(live_server_asgi, people.shop)
        await ws.send(
            json.dumps({"type": "message", "client_id": uuid.uuid4().hex, "text": payload})
        )
        ack = await recv_until(ws, "ack")
        await ws.close()
        return ack["message"]["text"]

    assert run(scenario()) == payload  # the browser test proves it renders as text


def test_sockets_without_a_login_or_from_another_site_are_refused(live_server_asgi, make_shop):
    people = make_shop()

    async def close_code(url: str, headers: dict[str, str] | None = None) -> int:
        ws = await websockets.connect(url, additional_headers=headers or {})
        with pytest.raises(websockets.ConnectionClosed) as closed:
            async with asyncio.timeout(TIMEOUT):
                await ws.recv()
        return closed.value.rcvd.code

    base = live_server_asgi.ws_url
    cookie = {"Cookie": f"sessionid={session_cookie(people.agent)}"}

    async def scenario() -> None:
        assert await close_code(f"{base}/ws/agent") == 4401
        assert await close_code(f"{base}/ws/agent", {"Cookie": "sessionid=forged"}) == 4401
        assert (
            await close_code(f"{base}/ws/agent", {**cookie, "Origin": "https://evil.example"})
            == 4403
        )
        assert await close_code(f"{base}/ws/visitor?key=nope") == 4404

    run(scenario())


def test_agents_only_see_their_own_shop(live_server_asgi, make_shop):
    ours, theirs = make_shop(), make_shop()
    cookie = session_cookie(ours.owner)

    async def scenario() -> None:
        v_ws, _ = await visitor(live_server_asgi, theirs.shop)
        await v_ws.send(json.dumps({"type": "message", "client_id": "t1", "text": "你好"}))
        conv_id = (await recv_until(v_ws, "ack"))["message"]["conversation"]
        a_ws, ready = await agent(live_server_asgi, cookie)
        assert all(c["id"] != conv_id for c in ready["conversations"])
        await a_ws.send(json.dumps({"type": "open", "conversation": conv_id, "after_seq": 0}))
        error = await recv_until(a_ws, "error")
        assert error["code"] == "no_conversation"
        await a_ws.close()
        await v_ws.close()

    run(scenario())


def test_opening_the_widget_stores_nothing_until_the_customer_writes(live_server_asgi, make_shop):
    from kefu.chat.models import Visitor

    people = make_shop()

    async def scenario() -> str:
        for _ in range(3):  # page views, crawlers
            ws, _ = await visitor(live_server_asgi, people.shop)
            await ws.close()
        ws, ready = await visitor(live_server_asgi, people.shop)
        await ws.close()
        # The same token comes back later and writes: the visitor is created then, once.
        ws, again = await visitor(live_server_asgi, people.shop, ready["token"])
        await ws.send(json.dumps({"type": "message", "client_id": "first", "text": "在吗"}))
        await recv_until(ws, "ack")
        await ws.close()
        return again["token"]

    run(scenario())
    assert Visitor.objects.filter(shop=people.shop).count() == 1


def test_a_socket_that_floods_frames_is_closed(live_server_asgi, make_shop):
    people = make_shop()

    async def scenario() -> int:
        ws, _ = await visitor(live_server_asgi, people.shop)
        for i in range(200):
            try:
                await ws.send(json.dumps({"type": "typing", "typing": i % 2 == 0}))
            except websockets.ConnectionClosed:
                break
        with pytest.raises(websockets.ConnectionClosed) as closed:
            async with asyncio.timeout(TIMEOUT):
                while True:
                    await ws.recv()
        return closed.value.rcvd.code

    assert run(scenario()) == 4429


def test_an_oversized_upload_is_refused_before_it_is_read(live_server_asgi, make_shop):
    import httpx

    people = make_shop()
    body = b"x" * (6 * 1024 * 1024)
    response = httpx.post(
        f"{live_server_asgi.url}/api/visitor/upload", content=body,
        headers={"content-type": "multipart/form-data; boundary=xx"}, timeout=30,
    )
    assert response.status_code == 413
    assert people.shop.conversations.count() == 0


def test_the_heartbeat_closes_deactivated_workbenches_and_spares_new_ones(make_shop):
    from kefu.realtime import endpoint
    from kefu.realtime.hub import REVOKED, Conn, Room, hub

    people = make_shop()
    old, new = Conn("agent", people.shop.id), Conn("agent", people.shop.id)
    old.member_id, new.member_id = people.agent.id, people.agent2.id
    room = hub.rooms.setdefault(people.shop.id, Room())
    room.agents.update({old, new})
    try:
        # The beat read only the first member: the second connected meanwhile.
        endpoint._apply_seats({people.agent.id: (False, "agent")})
        assert old.closed and old.outbox.get_nowait() is REVOKED
        assert not new.closed and new.outbox.empty()
        endpoint._apply_seats({people.agent2.id: (True, "supervisor")})
        assert new.sees_all
    finally:
        room.agents.difference_update({old, new})
