"""Fan-out of events to the sockets of this process, across processes through Redis.

One process: `publish` delivers straight to local sockets. With REDIS_URL set,
`publish` sends each shop's events to the channel `kefu:shop:<id>`; every process
subscribes once per shop that has local sockets and delivers what arrives. Each
socket has its own bounded outbox, so one slow client never holds up the others.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

import orjson
from django.conf import settings

from kefu.realtime.events import Event

log = logging.getLogger(__name__)

OUTBOX_LIMIT = 2000  # frames; a socket this far behind is closed and must resume
SUMMARY_FLUSH_S = 0.3


REVOKED = "\x00revoked"  # outbox marker: close the socket, its login no longer holds


class Conn:
    """One open socket: a visitor's or an agent's."""

    __slots__ = (
        "kind", "shop_id", "outbox", "closed", "visitor_id", "conversation_id",
        "member_id", "sees_all", "opened",
    )

    def __init__(self, kind: str, shop_id: int) -> None:
        self.kind = kind
        self.shop_id = shop_id
        self.outbox: asyncio.Queue[str | None] = asyncio.Queue()  # None: fell behind
        self.closed = False
        self.visitor_id: int | None = None
        self.conversation_id: int | None = None
        self.member_id: int | None = None
        self.sees_all = False
        self.opened: set[int] = set()

    def offer(self, text: str) -> None:
        if self.closed:
            return
        if self.outbox.qsize() >= OUTBOX_LIMIT:
            # Too far behind: drop the socket; the client resumes from its last seq.
            self.closed = True
            self.outbox.put_nowait(None)
            return
        self.outbox.put_nowait(text)

    def revoke(self) -> None:
        """The member was deactivated: close this socket after what is queued."""
        if not self.closed:
            self.closed = True
            self.outbox.put_nowait(REVOKED)

    def wants_message(self, event: Event) -> bool:
        if self.kind == "visitor":
            return event.conversation_id == self.conversation_id
        return (
            self.sees_all or event.waiting or event.assignee_id == self.member_id
            or event.conversation_id in self.opened
        )


class Room:
    """The sockets of one shop in this process."""

    def __init__(self) -> None:
        self.agents: set[Conn] = set()
        self.visitors: dict[int | None, set[Conn]] = defaultdict(set)
        self.summaries: dict[int, tuple[Event, str, frozenset[int]]] = {}
        self.flush_scheduled = False

    def __len__(self) -> int:
        return len(self.agents) + sum(len(v) for v in self.visitors.values())


class Hub:
    def __init__(self) -> None:
        self.rooms: dict[int, Room] = {}
        self.loop: asyncio.AbstractEventLoop | None = None
        self.redis: Any = None
        self.pubsub: Any = None
        self._listener: asyncio.Task[None] | None = None
        self._sync_redis: Any = None

    # --- lifecycle ----------------------------------------------------------------------
    async def start(self) -> None:
        self.loop = asyncio.get_running_loop()
        if settings.REDIS_URL:
            import redis.asyncio as aioredis

            self.redis = aioredis.from_url(settings.REDIS_URL)
            self.pubsub = self.redis.pubsub(ignore_subscribe_messages=True)
            # A placeholder channel so that listen() has something to wait on.
            await self.pubsub.subscribe("kefu:hello")
            self._listener = asyncio.create_task(self._listen())

    async def stop(self) -> None:
        if self._listener:
            self._listener.cancel()
        if self.pubsub is not None:
            await self.pubsub.aclose()
        if self.redis is not None:
            await self.redis.aclose()

    # --- membership ---------------------------------------------------------------------
    async def add(self, conn: Conn) -> None:
        if self.loop is None:
            self.loop = asyncio.get_running_loop()
        room = self.rooms.get(conn.shop_id)
        if room is None:
            room = self.rooms[conn.shop_id] = Room()
            if self.pubsub is not None:
                await self.pubsub.subscribe(f"kefu:shop:{conn.shop_id}")
        if conn.kind == "agent":
            room.agents.add(conn)
        else:
            room.visitors[conn.conversation_id].add(conn)

    def move_visitor(self, conn: Conn, conversation_id: int) -> None:
        """A visitor's first message created their conversation: route it to them from now on."""
        room = self.rooms[conn.shop_id]
        room.visitors[conn.conversation_id].discard(conn)
        conn.conversation_id = conversation_id
        room.visitors[conversation_id].add(conn)

    async def remove(self, conn: Conn) -> None:
        room = self.rooms.get(conn.shop_id)
        if room is None:
            return
        room.agents.discard(conn)
        bucket = room.visitors.get(conn.conversation_id)
        if bucket is not None:
            bucket.discard(conn)
            if not bucket:
                del room.visitors[conn.conversation_id]
        if not len(room):
            del self.rooms[conn.shop_id]
            if self.pubsub is not None:
                await self.pubsub.unsubscribe(f"kefu:shop:{conn.shop_id}")

    # --- publishing ---------------------------------------------------------------------
    async def publish(self, events: Iterable[Event]) -> None:
        """Deliver events everywhere; call only after the transaction that made them committed."""
        events = list(events)
        if not events:
            return
        if self.redis is None:
            self.deliver(events)
            return
        by_shop: dict[int, list[dict[str, Any]]] = defaultdict(list)
        for event in events:
            by_shop[event.shop_id].append(event.to_wire())
        async with self.redis.pipeline(transaction=False) as pipe:
            for shop_id, wires in by_shop.items():
                pipe.publish(f"kefu:shop:{shop_id}", orjson.dumps(wires))
            await pipe.execute()

    def publish_from_sync(self, events: list[Event]) -> None:
        """Publish from a worker thread (HTTP views, the CLI) once its transaction committed."""
        if not events:
            return
        if settings.REDIS_URL:
            if self._sync_redis is None:
                import redis

                self._sync_redis = redis.Redis.from_url(settings.REDIS_URL)
            by_shop: dict[int, list[dict[str, Any]]] = defaultdict(list)
            for event in events:
                by_shop[event.shop_id].append(event.to_wire())
            for shop_id, wires in by_shop.items():
                self._sync_redis.publish(f"kefu:shop:{shop_id}", orjson.dumps(wires))
        elif self.loop is not None and not self.loop.is_closed():
            self.loop.call_soon_threadsafe(self.deliver, events)
        # No loop and no Redis: this process serves no sockets, so nobody here to tell.

    async def _listen(self) -> None:
        while True:
            try:
                async for item in self.pubsub.listen():
                    if item.get("type") != "message":
                        continue
                    self.deliver([Event.from_wire(w) for w in orjson.loads(item["data"])])
            except asyncio.CancelledError:
                raise
            except (ConnectionError, OSError) as exc:  # Redis went away: retry, clients resume
                log.warning("redis listener lost its connection: %s", exc)
                await asyncio.sleep(1)

    # --- local fan-out ------------------------------------------------------------------
    def deliver(self, events: list[Event]) -> None:
        for event in events:
            room = self.rooms.get(event.shop_id)
            if room is None:
                continue
            if event.kind == "conversation":
                self._queue_summary(room, event)
                continue
            text = orjson.dumps(event.frame).decode()
            if event.kind == "message":
                for conn in room.visitors.get(event.conversation_id, ()):
                    conn.offer(text)
                for conn in room.agents:
                    if conn.wants_message(event):
                        conn.offer(text)
            elif event.kind == "analysis":  # the coach's reading: for staff, never the visitor
                for conn in room.agents:
                    if conn.wants_message(event):
                        conn.offer(text)
            elif event.kind == "typing":
                if event.by == "customer":
                    for conn in room.agents:
                        if conn.wants_message(event):
                            conn.offer(text)
                else:
                    for conn in room.visitors.get(event.conversation_id, ()):
                        conn.offer(text)

    def _queue_summary(self, room: Room, event: Event) -> None:
        # The list only needs each conversation's latest state: coalesce bursts,
        # but remember everyone who held it in between so they hear it moved.
        earlier = room.summaries.get(event.conversation_id)
        holders = set(earlier[2]) if earlier else set()
        holders.update(h for h in (event.assignee_id, event.previous_assignee_id) if h)
        room.summaries[event.conversation_id] = (
            event, orjson.dumps(event.frame).decode(), frozenset(holders)
        )
        if not room.flush_scheduled and self.loop is not None:
            room.flush_scheduled = True
            self.loop.call_later(SUMMARY_FLUSH_S, self._flush_summaries, room)

    def _flush_summaries(self, room: Room) -> None:
        room.flush_scheduled = False
        summaries, room.summaries = room.summaries, {}
        for event, text, holders in summaries.values():
            for conn in room.agents:
                # Only those the change concerns: owners/supervisors, whoever holds or
                # held it, anyone who opened it, and everyone while it waits.
                if conn.wants_message(event) or conn.member_id in holders:
                    conn.offer(text)


    def agent_conns(self) -> list[Conn]:
        return [conn for room in self.rooms.values() for conn in room.agents]


hub = Hub()
publish_from_sync = hub.publish_from_sync
