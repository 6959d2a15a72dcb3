"""Group commit: messages arriving together are stored in one transaction.

Sockets hand their messages to the writer and await the stored result. One
worker thread runs `chat.services.store_messages` on everything that queued up
while the previous batch was committing, so under load a batch holds many
messages and costs about as much as one; when idle a batch holds one message
and costs nothing extra. Results (acks) and broadcasts go out only after commit.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from django.conf import settings
from django.db import DatabaseError, close_old_connections, connection
from django.utils.translation import gettext as _

from kefu.chat import services as chat_services
from kefu.coach.analyzer import analyzer
from kefu.errors import ServiceError
from kefu.realtime.hub import hub

log = logging.getLogger(__name__)

MAX_BATCH = 256


def _store_isolated(items: list[chat_services.Outgoing]):  # type: ignore[no-untyped-def]
    """Store a batch; if the batch fails as a whole, store each item alone."""
    try:
        return chat_services.store_messages(items)
    except DatabaseError as exc:
        log.warning("batch of %d failed (%s); storing one by one", len(items), exc)
        connection.close()  # a broken connection is reopened on next use
    except Exception:  # noqa: BLE001 - one bad item must not fail everyone else's message
        log.exception("batch of %d failed; storing one by one", len(items))
    results, events = [], []
    for item in items:
        try:
            (stored,), item_events = chat_services.store_messages([item])
        except Exception as exc:  # noqa: BLE001 - answered as store_failed, logged in full
            log.exception("message %s could not be stored: %s", item.client_id, exc)
            close_old_connections()
            stored = chat_services.Stored(
                item.client_id,
                error=ServiceError("store_failed", _("消息没有发出去，请稍后重试。")),
            )
            item_events = []
        results.append(stored)
        events.extend(item_events)
    return results, events


class Writer:
    def __init__(self) -> None:
        self.pending: list[tuple[chat_services.Outgoing, asyncio.Future, Any]] = []
        self.wakeup: asyncio.Event | None = None
        self.executor = ThreadPoolExecutor(1, thread_name_prefix="kefu-writer")
        self.task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self.wakeup = asyncio.Event()
        self.task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        if self.task:
            self.task.cancel()

    async def submit(
        self, item: chat_services.Outgoing,
        on_stored: Callable[[chat_services.Stored], None] | None = None,
    ) -> chat_services.Stored:
        """Queue a message; `on_stored` runs after commit and before the broadcast goes out."""
        if self.task is None:
            self.start()
        future: asyncio.Future[chat_services.Stored] = asyncio.get_running_loop().create_future()
        self.pending.append((item, future, on_stored))
        assert self.wakeup is not None
        self.wakeup.set()
        return await future

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        assert self.wakeup is not None
        while True:
            await self.wakeup.wait()
            self.wakeup.clear()
            while self.pending:
                batch, self.pending = self.pending[:MAX_BATCH], self.pending[MAX_BATCH:]
                items = [item for item, _future, _hook in batch]
                try:
                    results, events = await loop.run_in_executor(
                        self.executor, _store_isolated, items
                    )
                except Exception as exc:  # noqa: BLE001 - must answer every waiting socket
                    log.exception("writer failed")
                    for _item, future, _hook in batch:
                        if not future.done():
                            future.set_exception(exc)
                    continue
                for (_item, future, hook), stored in zip(batch, results, strict=True):
                    if hook is not None:
                        hook(stored)
                    if not future.done():
                        future.set_result(stored)
                await hub.publish(events)
                if settings.KEFU_COACH:  # the coach reads customer messages after delivery
                    analyzer.take(events, self.executor)


writer = Writer()
