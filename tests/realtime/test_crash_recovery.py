"""No acknowledged message is lost, and none is shown twice, when the server is `kill -9`ed.

Customers stream messages, a few in flight each; partway through, the server process
is killed with SIGKILL and restarted on the same port and database. The clients behave
like kefu's widget and workbench: they reconnect, resume from the highest seq they
have, re-send every unacknowledged message with the SAME client_id and de-duplicate by
seq. Five customers never read their acks before the kill (a phone in a tunnel), so
messages the killed server stored but never acknowledged are surely re-sent. The agent
has two tabs: one reconnects at once, racing the customers; one comes back only after
the stream ended and must get exactly what it missed. Then the stored history, the
customers' screens and the agent's screens are checked against each other. Runs on
SQLite and on PostgreSQL.

Thirty customers send ten messages each (300 in all) rather than one customer sending
300: the flood limit allows a customer 10 messages in any 10 seconds
(settings.KEFU_VISITOR_RATE), and it is counted per process, so after the restart each
customer may re-send its unacknowledged ones.
"""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from websockets.exceptions import ConnectionClosed, InvalidHandshake

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
    sqlite_env,
)

pytestmark = pytest.mark.slow

CUSTOMERS = 30
PER_CUSTOMER = 10  # the flood limit's count: no customer is ever refused
IN_FLIGHT = 3  # unacknowledged sends a customer keeps going at once
KILL_AFTER_ACKS = 120  # of 300: the kill lands mid-stream, with sends in flight
LOST_ACK_CUSTOMERS = 5  # customers whose acks never reach them before the kill
RUN_TIMEOUT_S = 60.0
CONNECT_ERRORS = (OSError, InvalidHandshake, TimeoutError, ConnectionClosed)


@dataclass
class Run:
    """What the whole test run shares: the server, the kill switch, the counters."""

    server: ServerProcess
    shop: ShopInfo
    acks: int = 0
    killed: asyncio.Event = field(default_factory=asyncio.Event)
    finished: asyncio.Event = field(default_factory=asyncio.Event)
    resent: set[str] = field(default_factory=set)  # client_ids re-sent to the new server
    # Sends whose acks are lost, and what the agent saw stored of every message before the kill
    lost_ack_ids: set[str] = field(default_factory=set)
    stored_before_kill: dict[str, dict[str, Any]] = field(default_factory=dict)
    # Frames a socket got before its `ready` (the protocol promises `ready` first).
    before_ready: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def generation(self) -> int:
        """0 for sockets opened on the first server, 1 for those opened on the restarted one."""
        return 1 if self.killed.is_set() else 0

    def count_ack(self) -> None:
        self.acks += 1
        self.maybe_kill()

    def agent_saw(self, message: dict[str, Any]) -> None:
        self.stored_before_kill[message["client_id"]] = message
        self.maybe_kill()

    def maybe_kill(self) -> None:
        """Kill once enough was acknowledged and the lost-ack sends are surely stored."""
        if self.killed.is_set() or self.acks < KILL_AFTER_ACKS:
            return
        lost_ack_sends_stored = len(self.lost_ack_ids) == LOST_ACK_CUSTOMERS * IN_FLIGHT and (
            self.lost_ack_ids <= self.stored_before_kill.keys()
        )
        if lost_ack_sends_stored:
            self.server.kill_hard()  # right here, between two frames: sends are in flight
            self.killed.set()


@dataclass
class Widget:
    """One customer's chat window, keeping its state across reconnects like widget.js."""

    client_ids: list[str]
    # Its first sends are stored but their acks never reach it: it reads nothing until the
    # kill cuts it off (a phone going into a tunnel), then it re-sends them.
    loses_acks: bool = False
    token: str | None = None
    sent: int = 0
    unacked: dict[str, str] = field(default_factory=dict)  # local echoes awaiting their ack
    shown: dict[int, dict[str, Any]] = field(default_factory=dict)  # seq -> stored message
    acks: dict[str, tuple[dict[str, Any], int]] = field(default_factory=dict)
    seqs_of: dict[str, set[int]] = field(default_factory=lambda: defaultdict(set))
    conflicts: list[tuple[dict[str, Any], dict[str, Any]]] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)
    all_acked: asyncio.Event = field(default_factory=asyncio.Event)

    def text(self, client_id: str) -> str:
        return f"第{self.client_ids.index(client_id) + 1}条：这款还有货吗？{client_id[:6]}"

    @property
    def last_seq(self) -> int:
        return max(self.shown, default=0)

    @property
    def done(self) -> bool:
        return self.sent == len(self.client_ids) and not self.unacked

    def next_send(self) -> str | None:
        if len(self.unacked) >= IN_FLIGHT or self.sent == len(self.client_ids):
            return None
        client_id = self.client_ids[self.sent]
        self.sent += 1
        self.unacked[client_id] = self.text(client_id)
        return client_id

    def take(self, frame: dict[str, Any], generation: int) -> bool:
        """Apply one frame; True when it acknowledged a send."""
        kind = frame["type"]
        if kind == "ack":
            self.unacked.pop(frame["client_id"], None)
            self.acks[frame["client_id"]] = (frame["message"], generation)
            self._show(frame["message"])
            return True
        if kind == "message":
            self._show(frame["message"])
        elif kind == "history":
            for message in frame["messages"]:
                self._show(message)
        elif kind == "error":
            self.errors.append(frame)
        return False

    def _show(self, message: dict[str, Any]) -> None:
        self.seqs_of[message["client_id"]].add(message["seq"])
        if message["sender"] == "customer":
            self.unacked.pop(message["client_id"], None)  # its stored copy replaces the echo
        earlier = self.shown.setdefault(message["seq"], message)
        if earlier != message:
            self.conflicts.append((earlier, message))


async def run_widget(run: Run, widget: Widget) -> None:
    """Send everything, reconnecting after the kill; stays connected until the run finishes."""
    while True:
        try:
            sock, ready = await open_visitor(run.server.ws_url, run.shop.key, widget.token)
        except CONNECT_ERRORS:
            await asyncio.sleep(0.05)  # the server is down or still starting
            continue
        generation = run.generation()
        widget.token = ready["token"]
        try:
            if widget.loses_acks and not generation:
                while (client_id := widget.next_send()) is not None:
                    run.lost_ack_ids.add(client_id)
                    await sock.send(
                        {"type": "message", "client_id": client_id, "text": widget.text(client_id)}
                    )
                await run.killed.wait()
                continue
            for frame in sock.before_ready:
                run.before_ready.append(("visitor", frame))
                if widget.take(frame, generation):
                    run.count_ack()
            await sock.send({"type": "resume", "after_seq": widget.last_seq})
            for client_id, text in list(widget.unacked.items()):  # same client_id: stored once
                if generation:
                    run.resent.add(client_id)
                await sock.send({"type": "message", "client_id": client_id, "text": text})
            while not widget.done:
                while (client_id := widget.next_send()) is not None:
                    await sock.send(
                        {"type": "message", "client_id": client_id, "text": widget.text(client_id)}
                    )
                if widget.take(await sock.recv(), generation):
                    run.count_ack()
            widget.all_acked.set()
            # Stay open, as a page does: an agent coming back still writes to it.
            while not run.finished.is_set():
                try:
                    widget.take(await sock.recv(timeout=0.5), generation)
                except TimeoutError:
                    continue
            return
        except ConnectionClosed:
            continue
        finally:
            await sock.close()


@dataclass
class Workbench:
    """The agent's screen: every conversation's messages by seq, across reconnects."""

    shown: dict[int, dict[int, dict[str, Any]]] = field(default_factory=lambda: defaultdict(dict))
    # After the restart: (conversation, after_seq sent in `open`, seqs the history frames held)
    catch_ups: list[tuple[int, int, list[int]]] = field(default_factory=list)
    live_before_kill: dict[int, list[int]] = field(default_factory=lambda: defaultdict(list))
    conflicts: list[tuple[dict[str, Any], dict[str, Any]]] = field(default_factory=list)
    connected: asyncio.Event = field(default_factory=asyncio.Event)
    reconnected: asyncio.Event = field(default_factory=asyncio.Event)  # ready after the kill
    # Set for a workbench that stays away after the kill until this event: its catch-up
    # then holds everything that happened meanwhile, with no live frame racing it.
    back_after: asyncio.Event | None = None
    seconds_to_ready: list[float] = field(default_factory=list)  # per connection, for the log
    # conversation -> (after_seq sent in `open`, seqs its history frames held so far)
    catching_up: dict[int, tuple[int, list[int]]] = field(default_factory=dict)

    def take(self, frame: dict[str, Any], generation: int) -> None:
        if frame["type"] == "message":
            message = frame["message"]
            if not generation:
                self.live_before_kill[message["conversation"]].append(message["seq"])
            self.show(message)
        elif frame["type"] == "history":
            after, seqs = self.catching_up[frame["conversation"]]
            seqs.extend(m["seq"] for m in frame["messages"])
            for message in frame["messages"]:
                self.show(message)
            if len(frame["messages"]) < 500:  # the last page of this catch-up
                self.catch_ups.append((frame["conversation"], after, seqs))

    def last_seq(self, conversation: int) -> int:
        return max(self.shown[conversation], default=0)

    def show(self, message: dict[str, Any]) -> None:
        earlier = self.shown[message["conversation"]].setdefault(message["seq"], message)
        if earlier != message:
            self.conflicts.append((earlier, message))


async def run_workbench(run: Run, bench: Workbench, session_id: str) -> None:
    """Receive live; after the kill, reconnect and `open` each conversation from its last seq."""
    while not run.finished.is_set():
        if run.killed.is_set() and bench.back_after is not None:
            await bench.back_after.wait()
        started = time.monotonic()
        try:
            sock, ready = await open_agent(run.server.ws_url, session_id)
        except CONNECT_ERRORS:
            await asyncio.sleep(0.05)
            continue
        generation = run.generation()
        bench.seconds_to_ready.append(round(time.monotonic() - started, 3))
        bench.connected.set()
        if generation:
            bench.reconnected.set()
        # What the screen held when the socket dropped: the catch-up starts there.
        conversations = {c["id"] for c in ready["conversations"]} | set(bench.shown)
        last_seqs = {conv: bench.last_seq(conv) for conv in sorted(conversations)}
        try:
            for frame in sock.before_ready:
                run.before_ready.append(("agent", frame))
                bench.take(frame, generation)
            for conv, after in last_seqs.items() if generation else ():
                bench.catching_up[conv] = (after, [])
                await sock.send({"type": "open", "conversation": conv, "after_seq": after})
            while not run.finished.is_set():
                try:
                    frame = await sock.recv(timeout=0.5)
                except TimeoutError:
                    continue
                bench.take(frame, generation)
                if frame["type"] == "message" and not generation:
                    run.agent_saw(frame["message"])
        except ConnectionClosed:
            continue
        finally:
            await sock.close()


async def fetch_history(run: Run, token: str) -> list[dict[str, Any]]:
    """Everything stored in the customer's conversation, through `resume` from seq 0."""
    sock, ready = await open_visitor(run.server.ws_url, run.shop.key, token)
    try:
        await sock.send({"type": "resume", "after_seq": 0})
        messages: list[dict[str, Any]] = []
        while True:
            frame = await sock.expect(lambda f: f["type"] == "history")
            messages.extend(frame["messages"])
            if len(frame["messages"]) < 500:
                return messages
    finally:
        await sock.close()


async def until(event: Awaitable[Any], clients: asyncio.Future[Any]) -> None:
    """Wait for `event`, bounded; a client that fails meanwhile fails the test at once."""
    waiting = asyncio.ensure_future(event)
    done, _ = await asyncio.wait(
        {waiting, clients}, timeout=RUN_TIMEOUT_S, return_when=asyncio.FIRST_COMPLETED
    )
    if clients in done:
        clients.result()  # raises what broke a client
    if waiting not in done:
        waiting.cancel()
        raise TimeoutError(f"nothing happened in {RUN_TIMEOUT_S} s")


def bench_has(bench: Workbench, totals: dict[int, int]) -> bool:
    return all(bench.last_seq(conv) >= last for conv, last in totals.items())


async def settle(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    """Wait (bounded) for live frames still on their way; the asserts after it judge."""
    deadline = time.monotonic() + timeout
    while not condition() and time.monotonic() < deadline:
        await asyncio.sleep(0.05)


@dataclass(frozen=True)
class Served:
    server: ServerProcess
    shop: ShopInfo


@pytest.fixture(params=["sqlite", "postgres"])
def served(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Served]:
    """A `kefu serve` process on its own database: a SQLite file, or a fresh PostgreSQL one."""
    if request.param == "sqlite":
        yield from _serve(sqlite_env(tmp_path), tmp_path)
        return
    require_service("PostgreSQL", postgres_reachable(), f"{PG_BASE_URL}; set KEFU_TEST_PG_URL")
    with postgres_database() as database_url:
        yield from _serve(base_env(tmp_path, DATABASE_URL=database_url), tmp_path)


def _serve(env: dict[str, str], tmp_path: Path) -> Iterator[Served]:
    shop = create_shop(env)
    process = ServerProcess(env, free_port(), tmp_path / "server.log")
    try:
        process.start()
        yield Served(process, shop)
    finally:
        process.stop()


async def test_kill_9_mid_stream_loses_no_acknowledged_message_and_shows_none_twice(
    served: Served,
) -> None:
    server = served.server
    run = Run(server, served.shop)
    widgets = [
        Widget([new_client_id() for _ in range(PER_CUSTOMER)], loses_acks=i < LOST_ACK_CUSTOMERS)
        for i in range(CUSTOMERS)
    ]
    customers_done = asyncio.Event()
    # The same agent in two tabs: one reconnects at once, one only once the customers are done.
    live_bench, late_bench = Workbench(), Workbench(back_after=customers_done)
    tasks: list[asyncio.Future[Any]] = []
    try:
        # given an agent online and customers streaming messages
        session_id = await login(server.url, run.shop.agent_usernames[0])
        for bench in (live_bench, late_bench):
            tasks.append(asyncio.create_task(run_workbench(run, bench, session_id)))
            await asyncio.wait_for(bench.connected.wait(), 10)
        tasks.append(asyncio.gather(*(run_widget(run, w) for w in widgets)))
        clients = asyncio.gather(*tasks)

        # when the server is killed mid-stream (kill -9) and restarted on the same database
        await until(run.killed.wait(), clients)
        unacked_at_kill = sum(len(w.unacked) for w in widgets)
        server.start()  # blocks the loop a moment: the clients reconnect once it is up
        everyone_back = [w.all_acked.wait() for w in widgets] + [live_bench.reconnected.wait()]
        await until(asyncio.gather(*everyone_back), clients)
        # Nothing is written any more: the agent's return assigned what was waiting before
        # its `ready`, and every customer's sends are acknowledged.
        histories = [await fetch_history(run, w.token or "") for w in widgets]
        customers_done.set()
        totals = {h[-1]["conversation"]: h[-1]["seq"] for h in histories}
        for bench in (live_bench, late_bench):
            await settle(partial(bench_has, bench, totals))
        await settle(
            lambda: all(w.last_seq >= len(h) for w, h in zip(widgets, histories, strict=True))
        )
        run.finished.set()
        await asyncio.wait_for(clients, 5)

        # then the kill interrupted sends in flight, and they were re-sent
        assert unacked_at_kill > 0 and run.resent
        acked_by_killed_server = sum(
            generation == 0 for w in widgets for _m, generation in w.acks.values()
        )
        assert acked_by_killed_server >= KILL_AFTER_ACKS
        # and a re-sent message the killed server had stored is acknowledged as that message
        assert len(run.lost_ack_ids) == LOST_ACK_CUSTOMERS * IN_FLIGHT
        for widget in widgets:
            for client_id in run.lost_ack_ids & set(widget.client_ids):
                assert widget.acks[client_id] == (run.stored_before_kill[client_id], 1)
        for widget, history in zip(widgets, histories, strict=True):
            check_customer(widget, history)
        check_agent(live_bench, histories)
        check_agent(late_bench, histories)
        check_late_catch_up(late_bench, histories)
        # and every socket got `ready` first, as docs/protocol.md promises
        early = [(who, frame["type"]) for who, frame in run.before_ready]
        assert early == [], (
            f"{len(early)} frames came before `ready` (first: {run.before_ready[0]}); "
            "see kefu.realtime.endpoint.agent_socket"
        )
        caught_up = sum(len(seqs) for _c, _a, seqs in late_bench.catch_ups)
        print(
            f"acked by the killed server: {acked_by_killed_server}; unacknowledged at the "
            f"kill: {unacked_at_kill}; re-sent after the restart: {len(run.resent)}, of which "
            f"stored before the kill: {len(run.lost_ack_ids)}; caught up by the late tab: "
            f"{caught_up}"
        )
    except BaseException:
        print(
            f"agent connect-to-ready seconds: live tab {live_bench.seconds_to_ready}, "
            f"late tab {late_bench.seconds_to_ready}"
        )
        print("--- server output ---")
        print(server.output())
        raise
    finally:
        for task in tasks:
            task.cancel()


def check_customer(widget: Widget, history: list[dict[str, Any]]) -> None:
    seqs = [m["seq"] for m in history]
    # the stored conversation is numbered 1..N with no gap and no repeat
    assert seqs == list(range(1, len(history) + 1))
    # every message the customer sent is stored exactly once
    stored_ids = [m["client_id"] for m in history if m["sender"] == "customer"]
    assert sorted(stored_ids) == sorted(widget.client_ids)
    assert widget.errors == []
    # every acknowledged message is in the history, as acknowledged — above all those the
    # killed server acknowledged
    by_seq = {m["seq"]: m for m in history}
    for client_id, (acked, _generation) in widget.acks.items():
        assert by_seq[acked["seq"]]["client_id"] == client_id
        assert by_seq[acked["seq"]]["text"] == widget.text(client_id)
    # the screen, de-duplicated by seq, shows exactly the history, each message once
    assert widget.unacked == {}
    assert widget.conflicts == []
    assert {cid: seqs for cid, seqs in widget.seqs_of.items() if len(seqs) > 1} == {}
    assert [widget.shown[s] for s in sorted(widget.shown)] == history


def check_agent(bench: Workbench, histories: list[list[dict[str, Any]]]) -> None:
    assert bench.conflicts == []
    # live delivery before the kill came in order, without gaps
    for conv, live in bench.live_before_kill.items():
        assert live == list(range(1, len(live) + 1)), f"conversation {conv}"
    # after reconnecting, each conversation's catch-up went on from its last seq, no gap
    assert bench.catch_ups
    for conv, after, seqs in bench.catch_ups:
        assert seqs == list(range(after + 1, after + 1 + len(seqs))), f"conversation {conv}"
    # and the agent's screen shows every conversation exactly as stored
    for history in histories:
        conv = history[0]["conversation"]
        shown = bench.shown[conv]
        assert [shown[s] for s in sorted(shown)] == history, f"conversation {conv}"


def check_late_catch_up(bench: Workbench, histories: list[list[dict[str, Any]]]) -> None:
    """The tab that came back after the stream ended got exactly what it missed, in one go."""
    catch_ups = {conv: (after, seqs) for conv, after, seqs in bench.catch_ups}
    for history in histories:
        conv = history[0]["conversation"]
        live = bench.live_before_kill.get(conv, [])
        after, seqs = catch_ups.get(conv, (0, []))
        assert after == len(live), f"conversation {conv}: reopened from its last live seq"
        assert seqs == list(range(after + 1, len(history) + 1)), f"conversation {conv}"
