"""The two WebSocket endpoints, /ws/visitor and /ws/agent (docs/protocol.md).

Thin by design: parse a frame, call a service (through the writer for messages),
send the answer. Rules live in kefu.chat.services.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from http.cookies import SimpleCookie
from importlib import import_module
from typing import Any, TypeVar
from urllib.parse import urlsplit

import orjson
from django.conf import settings
from django.db import DatabaseError
from django.utils.translation import gettext_lazy
from starlette.websockets import WebSocket, WebSocketDisconnect

from kefu.chat import services as chat_services
from kefu.chat import wire
from kefu.customers import linking
from kefu.errors import ServiceError
from kefu.realtime.events import Event
from kefu.realtime.hub import REVOKED, Conn, hub
from kefu.realtime.writer import writer
from kefu.shops import services as shop_services

log = logging.getLogger(__name__)
T = TypeVar("T")

CLOSE_BAD_FRAME = 4400
CLOSE_UNAUTHORIZED = 4401
CLOSE_FORBIDDEN = 4403
CLOSE_NOT_FOUND = 4404
CLOSE_TOO_SLOW = 4408
CLOSE_FLOOD = 4429
MAX_ID = 2**63 - 1  # what a database integer holds; larger ids are malformed, not missing

HEARTBEAT_S = 15.0

_readers = ThreadPoolExecutor(4, thread_name_prefix="kefu-read")
BUSY_CODE = "busy"


async def run_sync(fn: Callable[..., T], *args: Any) -> T:
    """Run ORM code in a worker thread: the ORM never runs on the event loop."""
    return await asyncio.get_running_loop().run_in_executor(_readers, fn, *args)


class BadFrame(Exception):
    pass


def parse_frame(raw: str | bytes | None) -> dict[str, Any]:
    if raw is None:
        raise BadFrame("binary frames are not accepted")
    try:
        frame = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise BadFrame("not JSON") from exc
    if not isinstance(frame, dict) or not isinstance(frame.get("type"), str):
        raise BadFrame("a frame is a JSON object with a type")
    return frame


def _int(frame: dict[str, Any], key: str, default: int | None = None) -> int:
    value = frame.get(key, default)
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= MAX_ID:
        raise BadFrame(f"{key} must be a non-negative integer")
    return value


def _error(exc: ServiceError, client_id: Any = None) -> str:
    frame: dict[str, Any] = {"type": "error", "code": exc.code, "message": exc.message}
    if isinstance(client_id, str):
        frame["client_id"] = client_id
    findings = getattr(exc, "findings", None)  # the pre-send check's needs_confirmation
    if findings:
        frame["findings"] = findings
    return orjson.dumps(frame).decode()


async def refuse(ws: WebSocket, code: int) -> None:
    """Accept, then close with our code: a bare refusal would reach the browser as a 403
    without saying why."""
    await ws.accept()
    await ws.close(code)


async def _pump(ws: WebSocket, conn: Conn) -> None:
    """Send the socket's outbox in order; a None in it means the socket fell too far behind."""
    while True:
        text = await conn.outbox.get()
        if text is None:
            await ws.close(CLOSE_TOO_SLOW)
            return
        if text is REVOKED:
            await ws.close(CLOSE_UNAUTHORIZED)
            return
        await ws.send_text(text)


class FrameBudget:
    """Token bucket over all of a socket's frames: typing and resume floods cost too."""

    __slots__ = ("tokens", "stamp", "rate", "burst")

    def __init__(self) -> None:
        self.rate, self.burst = settings.KEFU_SOCKET_FRAME_RATE
        self.tokens, self.stamp = float(self.burst), time.monotonic()

    def spend(self) -> bool:
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True


async def _serve(ws: WebSocket, conn: Conn, handle: Callable[[dict[str, Any]], Any]) -> None:
    pump = asyncio.create_task(_pump(ws, conn))
    budget = FrameBudget()
    try:
        while True:
            message = await ws.receive()
            if message["type"] == "websocket.disconnect":
                return
            if not budget.spend():
                conn.offer(orjson.dumps({"type": "error", "code": "flood", "message": str(
                    gettext_lazy("发送太频繁，连接已断开，请稍后再试。"))}).decode())
                await asyncio.sleep(0)
                await _drain(conn)
                await ws.close(CLOSE_FLOOD)
                return
            frame: dict[str, Any] = {}
            try:
                frame = parse_frame(message.get("text"))
                await handle(frame)
            except DatabaseError:
                # The database is overloaded or restarting: say so, keep the socket;
                # the client retries with the same client_id.
                log.exception("database error while handling a frame")
                conn.offer(_error(
                    ServiceError(BUSY_CODE, str(gettext_lazy("服务器有点忙，请稍后重试。"))),
                    frame.get("client_id"),
                ))
            except BadFrame as exc:
                conn.offer(orjson.dumps(
                    {"type": "error", "code": "bad_frame", "message": str(exc)}
                ).decode())
                await asyncio.sleep(0)  # let the pump send the error first
                await _drain(conn)
                await ws.close(CLOSE_BAD_FRAME)
                return
    except WebSocketDisconnect:
        return
    finally:
        conn.closed = True
        pump.cancel()


async def _drain(conn: Conn, timeout: float = 1.0) -> None:
    deadline = time.monotonic() + timeout
    while not conn.outbox.empty() and time.monotonic() < deadline:
        await asyncio.sleep(0.01)


def _history_page(conversation_id: int, after_seq: int) -> list[dict[str, Any]]:
    return chat_services.history(conversation_id=conversation_id, after_seq=after_seq)


async def _send_history(conn: Conn, conversation_id: int, after_seq: int, **extra: Any) -> None:
    while True:
        page = await run_sync(_history_page, conversation_id, after_seq)
        if conn.kind == "visitor":
            page = [wire.for_visitor(m) for m in page]
        last = page[-1]["seq"] if page else after_seq
        conn.offer(orjson.dumps(
            {"type": "history", "messages": page, "last_seq": last, **extra}
        ).decode())
        if len(page) < chat_services.HISTORY_PAGE:
            return
        after_seq = last


# --- visitors ---------------------------------------------------------------------------------


def _open_visitor(key: str, token: str | None, identity: str = "") -> dict[str, Any]:
    shop = chat_services.get_shop_by_key(key)
    visitor_pass = chat_services.visitor_pass_for(shop=shop, token=token)
    visitor = visitor_pass.visitor
    if visitor is not None and identity:
        linking.link_signed_visitor(shop_id=shop.id, visitor_id=visitor.id, identity=identity)
    conv = chat_services.latest_conversation(visitor) if visitor else None
    return {
        "shop": shop, "pass": visitor_pass, "conversation": conv,
        "agent_online": shop_services.online_members(shop.id).exists()
        and shop_services.is_open_now(shop),
    }


def _first_write(shop_id: int, visitor_pass: chat_services.VisitorPass, identity: str) -> Any:
    """The visitor row, created now; linked to the site's customer when the page vouched."""
    visitor = chat_services.ensure_visitor(shop_id=shop_id, public_id=visitor_pass.public_id)
    if identity:
        linking.link_signed_visitor(shop_id=shop_id, visitor_id=visitor.id, identity=identity)
    return visitor


async def visitor_socket(ws: WebSocket) -> None:
    params = ws.query_params
    try:
        opened = await run_sync(
            _open_visitor, params.get("key", ""), params.get("token"), params.get("identity", "")
        )
    except ServiceError:
        await refuse(ws, CLOSE_NOT_FOUND)
        return
    shop, visitor_pass, conv = opened["shop"], opened["pass"], opened["conversation"]
    identity = params.get("identity", "")
    await ws.accept()
    conn = Conn("visitor", shop.id)
    conn.visitor_id = visitor_pass.visitor.id if visitor_pass.visitor else None
    conn.conversation_id = conv.id if conv else None
    await hub.add(conn)
    conn.offer(orjson.dumps({
        "type": "ready",
        "token": visitor_pass.token,
        "shop": {"name": shop.name, "announcement": shop.announcement,
                 "welcome": shop.welcome_message},
        "conversation": {"id": conv.id, "status": conv.status} if conv else None,
        "agent_online": opened["agent_online"],
    }).decode())

    typing_state = [False]

    async def handle(frame: dict[str, Any]) -> None:
        kind = frame["type"]
        if kind == "message":
            client_id = frame.get("client_id")
            typing_state[0] = False
            try:
                text = chat_services.clean_text(frame.get("text"))
                client_id = chat_services.clean_client_id(client_id)
                chat_services.check_visitor_rate(visitor_pass.public_id.int, time.monotonic())
            except ServiceError as exc:
                conn.offer(_error(exc, client_id))
                return
            if conn.visitor_id is None:
                visitor = await run_sync(lambda: _first_write(shop.id, visitor_pass, identity))
                conn.visitor_id = visitor.id
            await _ack(conn, chat_services.Outgoing(
                shop_id=shop.id, visitor_id=conn.visitor_id,
                conversation_id=conn.conversation_id, client_id=client_id, text=text,
            ))
        elif kind == "resume":
            after = _int(frame, "after_seq", 0)
            if conn.conversation_id is not None:
                await _send_history(conn, conn.conversation_id, after)
            else:
                conn.offer(orjson.dumps(
                    {"type": "history", "messages": [], "last_seq": 0}
                ).decode())
        elif kind == "typing":
            typing = bool(frame.get("typing"))
            # Only a change of state is news: a held key must not flood the workbenches.
            if conn.conversation_id is not None and typing != typing_state[0]:
                typing_state[0] = typing
                await hub.publish([Event(
                    shop_id=shop.id, kind="typing", conversation_id=conn.conversation_id,
                    frame={"type": "typing", "conversation": conn.conversation_id,
                           "typing": typing, "by": "customer"},
                    by="customer",
                )])
        elif kind == "ping":
            conn.offer('{"type":"pong"}')
        else:
            raise BadFrame(f"unknown type {kind!r}")

    try:
        await _serve(ws, conn, handle)
    finally:
        await hub.remove(conn)


async def _ack(conn: Conn, item: chat_services.Outgoing) -> None:
    def on_stored(stored: chat_services.Stored) -> None:
        # Runs before the broadcast: the ack comes first, and a visitor whose first
        # message just created the conversation is routed to it in time.
        if stored.error is not None:
            conn.offer(_error(stored.error, item.client_id))
            return
        assert stored.message is not None
        if conn.kind == "visitor" and conn.conversation_id != stored.message["conversation"]:
            hub.move_visitor(conn, stored.message["conversation"])
        message = wire.for_visitor(stored.message) if conn.kind == "visitor" else stored.message
        conn.offer(orjson.dumps(
            {"type": "ack", "client_id": item.client_id, "message": message}
        ).decode())

    await writer.submit(item, on_stored)


# --- agents -----------------------------------------------------------------------------------


def _member_from_cookie(cookie_header: str) -> Any:
    from django.contrib.auth import (
        BACKEND_SESSION_KEY,
        HASH_SESSION_KEY,
        SESSION_KEY,
        get_user_model,
    )
    from django.utils.crypto import constant_time_compare

    cookies = SimpleCookie()
    cookies.load(cookie_header)
    morsel = cookies.get(settings.SESSION_COOKIE_NAME)
    if morsel is None:
        return None
    session = import_module(settings.SESSION_ENGINE).SessionStore(morsel.value)
    user_id, backend = session.get(SESSION_KEY), session.get(BACKEND_SESSION_KEY)
    if user_id is None or backend is None:
        return None
    user = get_user_model().objects.filter(pk=user_id, is_active=True).first()
    if user is None or not constant_time_compare(
        session.get(HASH_SESSION_KEY, ""), user.get_session_auth_hash()
    ):
        return None
    try:
        return shop_services.get_member_for(user=user)
    except ServiceError:
        return None


def _same_origin(ws: WebSocket) -> bool:
    """Refuse cross-site pages that would ride on an agent's cookie."""
    origin = ws.headers.get("origin")
    if not origin:
        return True  # not a browser
    return urlsplit(origin).netloc == ws.headers.get("host")


def _agent_ready(member: Any) -> tuple[dict[str, Any], list[Event]]:
    events = chat_services.agent_connected(member_id=member.id)
    convs = chat_services.conversations_for(actor=member)
    return {
        "type": "ready",
        "me": {"member_id": member.id, "name": member.display_name, "role": member.role},
        "shop": {"id": member.shop_id, "name": member.shop.name},
        "conversations": [wire.conversation_dict(c) for c in convs],
    }, events


async def agent_socket(ws: WebSocket) -> None:
    if not _same_origin(ws):
        await refuse(ws, CLOSE_FORBIDDEN)
        return
    member = await run_sync(_member_from_cookie, ws.headers.get("cookie", ""))
    if member is None:
        await refuse(ws, CLOSE_UNAUTHORIZED)
        return
    await ws.accept()
    conn = Conn("agent", member.shop_id)
    conn.member_id, conn.sees_all = member.id, member.sees_all
    await hub.add(conn)
    presence.add(member.id)
    try:
        ready, events = await run_sync(_agent_ready, member)
        # The socket joined the hub first so nothing is missed while the list loads;
        # whatever arrived meanwhile goes out after `ready`, as the protocol promises.
        early = []
        while not conn.outbox.empty():
            early.append(conn.outbox.get_nowait())
        conn.outbox.put_nowait(orjson.dumps(ready).decode())
        for text in early:
            conn.outbox.put_nowait(text)
        await hub.publish(events)

        async def handle(frame: dict[str, Any]) -> None:
            kind = frame["type"]
            if kind == "message":
                client_id = frame.get("client_id")
                try:
                    item = chat_services.Outgoing(
                        shop_id=member.shop_id, member_id=member.id,
                        conversation_id=_int(frame, "conversation"),
                        client_id=chat_services.clean_client_id(client_id),
                        text=chat_services.clean_text(frame.get("text")),
                        confirm=frame.get("confirm") is True,
                    )
                except ServiceError as exc:
                    conn.offer(_error(exc, client_id))
                    return
                await _ack(conn, item)
            elif kind == "open":
                conv_id, after = _int(frame, "conversation"), _int(frame, "after_seq", 0)
                try:
                    conv = await run_sync(lambda: chat_services.get_conversation_for(
                        actor=member, conversation_id=conv_id))
                except ServiceError as exc:
                    conn.offer(_error(exc))
                    return
                conn.opened.add(conv.id)
                await _send_history(conn, conv.id, after, conversation=conv.id)
            elif kind == "close_view":
                conn.opened.discard(_int(frame, "conversation"))
            elif kind == "read":
                conv_id, seq = _int(frame, "conversation"), _int(frame, "seq")
                try:
                    event = await run_sync(lambda: chat_services.mark_read(
                        actor=member, conversation_id=conv_id, seq=seq))
                except ServiceError as exc:
                    conn.offer(_error(exc))
                    return
                if event is not None:
                    await hub.publish([event])
            elif kind == "typing":
                # Routed within the agent's own shop only, so a foreign id reaches nobody.
                conv_id = _int(frame, "conversation")
                await hub.publish([Event(
                    shop_id=member.shop_id, kind="typing", conversation_id=conv_id,
                    frame={"type": "typing", "typing": bool(frame.get("typing")), "by": "agent"},
                    by="agent",
                )])
            elif kind == "ping":
                conn.offer('{"type":"pong"}')
            else:
                raise BadFrame(f"unknown type {kind!r}")

        await _serve(ws, conn, handle)
    finally:
        await hub.remove(conn)
        presence.discard(member.id)
        await run_sync(lambda: chat_services.agent_disconnected(member_id=member.id))


def _heartbeat(member_ids: list[int]) -> dict[int, tuple[bool, str]]:
    """Refresh presence; answer each member's current (is_active, role)."""
    from kefu.shops.models import Membership

    chat_services.agents_seen(member_ids=member_ids)
    return {
        pk: (active, role)
        for pk, active, role in Membership.objects.filter(id__in=member_ids)
        .values_list("id", "is_active", "role")
    }


def _apply_seats(seats: dict[int, tuple[bool, str]]) -> None:
    """Open workbenches follow role changes; a deactivated member's sockets close."""
    from kefu.shops.models import Role

    for conn in hub.agent_conns():
        if conn.member_id not in seats:
            continue  # connected while the heartbeat was reading: the next beat covers it
        active, role = seats[conn.member_id]
        if not active:
            conn.revoke()
        else:
            conn.sees_all = role in (Role.OWNER, Role.SUPERVISOR)


class Presence:
    """Keeps `last_seen_at` fresh for the agents connected to this process."""

    def __init__(self) -> None:
        self.counts: dict[int, int] = {}
        self.task: asyncio.Task[None] | None = None

    def add(self, member_id: int) -> None:
        self.counts[member_id] = self.counts.get(member_id, 0) + 1
        if self.task is None:
            self.task = asyncio.create_task(self._beat())

    def discard(self, member_id: int) -> None:
        left = self.counts.get(member_id, 0) - 1
        if left > 0:
            self.counts[member_id] = left
        else:
            self.counts.pop(member_id, None)

    async def _beat(self) -> None:
        while True:
            await asyncio.sleep(HEARTBEAT_S)
            if self.counts:
                try:
                    _apply_seats(await run_sync(_heartbeat, list(self.counts)))
                except Exception:  # noqa: BLE001 - a missed beat must not kill the loop
                    log.exception("presence heartbeat failed")


presence = Presence()

