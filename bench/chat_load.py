"""Load benchmark of kefu's live desk: N customers -> M agents over WebSockets on 127.0.0.1.

    .venv/bin/python bench/chat_load.py --customers 100 --agents 10 --seconds 10 [--rate 500]
        [--url http://127.0.0.1:8000 --shop-key KEY --agent-login user:password ...]
        [--processes 2 --database-url postgres://postgres@127.0.0.1/postgres --redis-url private]
        [--client-processes 2] [--window 2] [--no-bare-relay] [--idle-sockets 10000]
        [--profile DIR]

By default it starts its own kefu (fresh temp data dir, `kefu migrate`, a shop with M
agents, `kefu serve`), logs the agents in, opens the sockets and runs, one after the other:
  1. closed loop for --seconds: every customer sends as fast as its acks allow, at most
     --window unacknowledged messages each; then what is in flight is let through;
  2. fixed rate: --rate msgs/s spread evenly over the customers, open loop, for
     --fixed-seconds: latency below saturation;
  3. the bare relay (bench/bare_relay.py) with the same client, N and M: the yardstick.
Latency is customer send -> the agent socket receiving the `message` frame. A message is
lost when it was acked but no agent received it within the grace period; duplicated when
one agent socket received the same message twice. Prints a table, then one JSON line.
Figures only: it never fails on timing, and every wait is bounded. bench/README.md has more.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import math
import os
import random
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from collections.abc import Awaitable, Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from http.cookiejar import CookieJar
from pathlib import Path
from typing import Any

import orjson

REPO = Path(__file__).resolve().parent.parent
BENCH_AGENT_PASSWORD = "bench-pass-8472"
CONNECT_TIMEOUT_S = 15.0
SERVER_START_TIMEOUT_S = 60.0
MAX_GRACE_S = 30.0  # after the last phase, at most this long for deliveries to arrive
QUIET_S = 3.0  # ... and stop once the agents have received nothing for this long
# Phase tags in the client ids, so a received frame says which phase sent it.
WARMUP, CLOSED, FIXED = 0x8000, 0x8001, 0x8002
TEXT = "你好，请问这款衬衫还有L码吗？今天下单什么时候发货"


def client_id(customer: int, phase: int, n: int) -> str:
    """A UUID-shaped id that carries who sent it, in which phase, as the n-th message."""
    return f"{customer:08x}-0000-4000-{phase:04x}-{n:012x}"


def phase_of(cid: str) -> int:
    return int(cid[19:23], 16)


# ----------------------------------------------------------------------------- servers


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _raise_nofile() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


class Server:
    """A server subprocess in its own process group, killed (group and all) on close."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str], port: int, log: Path):
        self.name, self.port, self.log = name, port, log
        self._log_file = log.open("wb")
        self.proc = subprocess.Popen(
            argv,
            env=env,
            cwd=REPO,
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            preexec_fn=_raise_nofile,
        )

    def wait_listening(self, timeout: float = SERVER_START_TIMEOUT_S) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited ({self.proc.returncode}):\n{self.tail()}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"{self.name} not listening after {timeout:.0f}s:\n{self.tail()}")

    def tail(self, lines: int = 30) -> str:
        self._log_file.flush()
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])

    def pids(self) -> list[int]:
        """The server and all its descendants (uvicorn workers, reloaders)."""
        found, todo = [], [self.proc.pid]
        while todo:
            pid = todo.pop()
            found.append(pid)
            for task in Path(f"/proc/{pid}/task").glob("*/children"):
                try:
                    todo.extend(int(c) for c in task.read_text().split())
                except OSError:
                    pass
        return found

    def rss_bytes(self) -> int:
        return sum(_proc_rss(pid) for pid in self.pids())

    def cpu_seconds(self) -> float:
        return sum(_proc_cpu(pid) for pid in self.pids())

    def close(self) -> None:
        if self.proc.poll() is None:
            for sig, wait in ((signal.SIGTERM, 5.0), (signal.SIGKILL, 5.0)):
                try:
                    os.killpg(self.proc.pid, sig)
                except ProcessLookupError:
                    break
                try:
                    self.proc.wait(timeout=wait)
                    break
                except subprocess.TimeoutExpired:
                    continue
        self._log_file.close()


def _proc_rss(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def _proc_cpu(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class RssSampler:
    """Samples the servers' total RSS and CPU time in a thread while the clients run."""

    def __init__(self, servers: list[Server], every: float = 0.1):
        self.servers, self.every, self.peak = servers, every, 0
        self.cpu: list[tuple[float, float]] = []  # (monotonic time, CPU seconds so far)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=2)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, sum(s.rss_bytes() for s in self.servers))
            self.cpu.append((time.monotonic(), sum(s.cpu_seconds() for s in self.servers)))
            self._stop.wait(self.every)

    def cpu_pct(self, start: float, end: float) -> float | None:
        """Servers' CPU use between two instants, in % of one core (from the samples)."""
        if not self.servers:
            return None
        inside = [(t, c) for t, c in self.cpu if start <= t <= end]
        if len(inside) < 2 or inside[-1][0] <= inside[0][0]:
            return None
        (t0, c0), (t1, c1) = inside[0], inside[-1]
        return 100 * (c1 - c0) / (t1 - t0)


# ----------------------------------------------------------------------------- kefu set-up

SETUP_SCRIPT = textwrap.dedent(
    """
    import datetime as dt, sys
    import django
    django.setup()
    from kefu.shops import services
    from kefu.shops.models import Membership
    agents, capacity, password = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    shop = services.create_shop(
        name="压测小店", slug="bench", owner_username="bench-owner", owner_password=password,
        hours_start=dt.time(0, 0), hours_end=dt.time(23, 59, 59), open_days="0123456",
        welcome_message="您好，欢迎光临压测小店，有什么可以帮您？",
        default_capacity=capacity,
    )
    owner = Membership.objects.get(shop=shop, user__username="bench-owner")
    for i in range(agents):
        services.create_member(
            actor=owner, username=f"bench-agent-{i}", password=password,
            display_name=f"客服{i}", role="agent", capacity=capacity,
        )
    print(shop.public_key)
    """
)

# Only what a benchmark must change: the per-visitor flood limit (a closed loop is a flood
# by design) and a fast password hasher so logging 20 agents in takes no time.
SETTINGS_OVERRIDE = textwrap.dedent(
    """
    from kefu.settings import *  # noqa: F403
    KEFU_VISITOR_RATE = (10**9, 1.0)
    KEFU_SOCKET_FRAME_RATE = (10.0**9, 10**9)  # a closed loop floods on purpose
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    """
)


def kefu_env(data_dir: Path, database_url: str, redis_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")}
    env.update(
        KEFU_DATA_DIR=str(data_dir),
        DJANGO_SETTINGS_MODULE="kefu_bench_settings",
        PYTHONPATH=os.pathsep.join([str(data_dir), str(REPO / "src")]),
        KEFU_LOG_LEVEL="WARNING",
    )
    for key, value in (("DATABASE_URL", database_url), ("REDIS_URL", redis_url)):
        if value:
            env[key] = value
        else:
            env.pop(key, None)
    return env


def temporary_database(server_url: str, stack: ExitStack) -> str:
    """A fresh PostgreSQL database on the server of `server_url`, dropped on exit."""
    import psycopg

    name = f"kefu_bench_{os.getpid()}_{random.randrange(16**6):06x}"
    with psycopg.connect(server_url, autocommit=True, connect_timeout=5) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')

    def drop() -> None:
        with psycopg.connect(server_url, autocommit=True, connect_timeout=5) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    stack.callback(drop)
    return urllib.parse.urlunsplit(urllib.parse.urlsplit(server_url)._replace(path=f"/{name}"))


def private_redis(work: Path, stack: ExitStack) -> str:
    """A throwaway redis-server: pub/sub channels are global, so a shared Redis would mix
    the bench's shop events with those of anything else using the same shop ids."""
    port = free_port()
    argv = [
        "redis-server",
        "--bind",
        "127.0.0.1",
        "--port",
        str(port),
        "--save",
        "",
        "--appendonly",
        "no",
        "--dir",
        str(work),
    ]
    server = Server(f"redis-server :{port}", argv, dict(os.environ), port, work / "redis.log")
    stack.callback(server.close)
    server.wait_listening()
    return f"redis://127.0.0.1:{port}/0"


def kefu_bin() -> str:
    candidate = Path(sys.executable).parent / "kefu"
    return str(candidate) if candidate.exists() else "kefu"


def prepare_kefu(data_dir: Path, env: dict[str, str], agents: int, capacity: int) -> str:
    """Migrate a fresh database and create the bench shop; returns its public key."""
    (data_dir / "kefu_bench_settings.py").write_text(SETTINGS_OVERRIDE)
    run = dict(env=env, cwd=REPO, capture_output=True, text=True, timeout=300)
    done = subprocess.run([kefu_bin(), "migrate"], **run)  # type: ignore[call-overload]
    if done.returncode:
        raise RuntimeError(f"kefu migrate failed:\n{done.stdout}\n{done.stderr}")
    argv = [sys.executable, "-c", SETUP_SCRIPT, str(agents), str(capacity), BENCH_AGENT_PASSWORD]
    done = subprocess.run(argv, **run)  # type: ignore[call-overload]
    if done.returncode:
        raise RuntimeError(f"bench shop set-up failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout.strip().splitlines()[-1]


def start_kefu(port: int, env: dict[str, str], log: Path) -> Server:
    argv = [kefu_bin(), "serve", "--host", "127.0.0.1", "--port", str(port)]
    return Server(f"kefu serve :{port}", argv, env, port, log)


def start_bare_relay(port: int, log: Path, ws_impl: str) -> Server:
    argv = [sys.executable, str(REPO / "bench" / "bare_relay.py"), "--port", str(port)]
    argv += ["--ws", ws_impl]
    env = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")}
    return Server(f"bare relay :{port}", argv, env, port, log)


def login(base_url: str, username: str, password: str) -> str:
    """Log in through Django's login form; returns the Cookie header for the agent socket."""
    jar = CookieJar()

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: Any, **kwargs: Any) -> None:
            return None  # the 302 after a good login is the answer; don't follow it

    opener = urllib.request.build_opener(
        urllib.request.ProxyHandler({}), urllib.request.HTTPCookieProcessor(jar), NoRedirect
    )
    page_url = f"{base_url}/accounts/login/"
    html = opener.open(page_url, timeout=30).read().decode()
    marker = 'name="csrfmiddlewaretoken" value="'
    start = html.index(marker) + len(marker)
    token = html[start : html.index('"', start)]
    body = urllib.parse.urlencode(
        {"username": username, "password": password, "csrfmiddlewaretoken": token}
    ).encode()
    request = urllib.request.Request(page_url, data=body, headers={"Referer": page_url})
    try:
        opener.open(request, timeout=30)
    except urllib.error.HTTPError as exc:
        if exc.code != 302:
            raise
    cookies = {c.name: c.value for c in jar}
    if "sessionid" not in cookies:
        raise RuntimeError(f"login of {username} at {base_url} failed (no session cookie)")
    return "; ".join(f"{k}={v}" for k, v in cookies.items())


# ----------------------------------------------------------------------------- the client


@dataclass(frozen=True)
class Schedule:
    """Absolute times (time.monotonic, shared by every process on the machine)."""

    closed_start: float
    closed_end: float
    fixed_start: float
    fixed_end: float


@dataclass(frozen=True)
class ShardPlan:
    """One client process's share: its customers (global indexes) and agents."""

    customers: list[tuple[int, str]]  # (global index, visitor socket url)
    agents: list[tuple[int, str, str]]  # (global index, agent socket url, Cookie header)
    window: int
    total_customers: int
    closed_s: float
    fixed_s: float
    fixed_rate: float  # msgs/s offered by all customers together in the fixed phase
    early_exit: bool  # the only shard: it may stop waiting once everything arrived


@dataclass
class ShardResult:
    sent: dict[str, float] = field(default_factory=dict)  # client id -> send time
    acked: dict[str, float] = field(default_factory=dict)  # client id -> ack time
    # (agent, conversation, seq, client id, receive time) for every bench `message` frame
    received: list[tuple[int, int, int, str, float]] = field(default_factory=list)
    assignee: dict[int, int | None] = field(default_factory=dict)  # conversation -> member
    conversations: dict[int, int] = field(default_factory=dict)  # customer -> conversation
    errors: Counter[str] = field(default_factory=Counter)
    cpu_closed_s: float = 0.0
    connect_failures: int = 0
    closing: bool = False  # set when the client itself starts closing its sockets
    agent_frames: Counter[str] = field(default_factory=Counter)  # frames agents got, by type
    refused: set[str] = field(default_factory=set)  # answered with an error frame: not stored
    last_activity: float = 0.0  # when the last ack or agent message arrived


class HandshakeError(RuntimeError):
    pass


class RawSocket(asyncio.Protocol):
    """A minimal RFC 6455 client: text frames out, frames in through a callback.

    The bench's client shares two cores with the server, so it must cost little per frame:
    no per-frame futures or tasks (the `websockets` library spends several times more CPU
    per message). Client frames carry the all-zero mask, which RFC 6455 allows (the key
    is meant to stop cache poisoning by browser scripts, not an issue between two local
    processes) and which makes masking free.
    """

    def __init__(self, on_frame: Callable[[bytes], None], on_close: Callable[[int], None]):
        self.on_frame, self.on_close = on_frame, on_close
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.fragments = bytearray()
        self.upgraded: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.close_code = 0
        self.closing = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.upgraded.done():
            self.upgraded.set_exception(HandshakeError(f"connection lost: {exc}"))
        if not self.closing:
            self.on_close(self.close_code or 1006)

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        if not self.upgraded.done():
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            status = bytes(self.buffer[: self.buffer.find(b"\r\n")])
            del self.buffer[: end + 4]
            if b" 101 " not in status:
                self.upgraded.set_exception(HandshakeError(status.decode(errors="replace")))
                self.closing = True
                assert self.transport is not None
                self.transport.close()
                return
            self.upgraded.set_result(None)
        self._parse()

    def _parse(self) -> None:
        buf, pos, size = self.buffer, 0, len(self.buffer)
        while size - pos >= 2:
            first, length = buf[pos], buf[pos + 1] & 0x7F
            head = 2
            if length == 126:
                if size - pos < 4:
                    break
                length, head = int.from_bytes(buf[pos + 2 : pos + 4], "big"), 4
            elif length == 127:
                if size - pos < 10:
                    break
                length, head = int.from_bytes(buf[pos + 2 : pos + 10], "big"), 10
            if size - pos < head + length:
                break
            payload = bytes(buf[pos + head : pos + head + length])
            pos += head + length
            opcode, final = first & 0x0F, first & 0x80
            if opcode in (0, 1, 2):
                if not final:
                    self.fragments += payload
                    continue
                if self.fragments:
                    payload, self.fragments = bytes(self.fragments + payload), bytearray()
                self.on_frame(payload)
            elif opcode == 8:  # close: note the code, answer, hang up
                self.close_code = int.from_bytes(payload[:2], "big") if len(payload) >= 2 else 1005
                self._write(0x88, payload[:2])
                assert self.transport is not None
                self.transport.close()
            elif opcode == 9:  # ping
                self._write(0x8A, payload)
        del buf[:pos]

    def _write(self, first: int, payload: bytes) -> None:
        length = len(payload)
        if length < 126:
            header = bytes((first, 0x80 | length))
        elif length < 65536:
            header = bytes((first, 0xFE)) + length.to_bytes(2, "big")
        else:
            header = bytes((first, 0xFF)) + length.to_bytes(8, "big")
        assert self.transport is not None
        if not self.transport.is_closing():
            self.transport.write(header + b"\0\0\0\0" + payload)

    def send_text(self, payload: bytes) -> None:
        self._write(0x81, payload)

    def close(self) -> None:
        self.closing = True
        if self.transport is not None and not self.transport.is_closing():
            self._write(0x88, (1000).to_bytes(2, "big"))
            self.transport.close()


async def open_socket(
    url: str,
    on_frame: Callable[[bytes], None],
    on_close: Callable[[int], None],
    cookie: str = "",
) -> RawSocket:
    """Open a WebSocket on 127.0.0.1 (the Origin is the server's own, as a page would send)."""
    parts = urllib.parse.urlsplit(url)
    if parts.hostname not in ("127.0.0.1", "localhost"):
        raise ValueError(f"the bench only connects to 127.0.0.1, not {url}")
    loop = asyncio.get_running_loop()
    _, sock = await asyncio.wait_for(
        loop.create_connection(
            lambda: RawSocket(on_frame, on_close), "127.0.0.1", parts.port or 80
        ),
        CONNECT_TIMEOUT_S,
    )
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    lines = [
        f"GET {target} HTTP/1.1",
        f"Host: {parts.netloc}",
        "Upgrade: websocket",
        "Connection: Upgrade",
        f"Sec-WebSocket-Key: {base64.b64encode(os.urandom(16)).decode()}",
        "Sec-WebSocket-Version: 13",
        f"Origin: http://{parts.netloc}",
    ]
    if cookie:
        lines.append(f"Cookie: {cookie}")
    assert sock.transport is not None
    sock.transport.write(("\r\n".join(lines) + "\r\n\r\n").encode())
    try:
        await asyncio.wait_for(asyncio.shield(sock.upgraded), CONNECT_TIMEOUT_S)
    except BaseException:
        sock.close()
        raise
    return sock


class Customer:
    """One visitor socket: sends with a bounded window, counts acks."""

    def __init__(self, index: int, url: str, window: int, result: ShardResult):
        self.index, self.url, self.result, self.window_size = index, url, result, window
        self.sock: RawSocket | None = None
        self.window = asyncio.Semaphore(window)
        self.ready: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.first_ack: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.sent_count = 0

    async def open(self) -> None:
        self.sock = await open_socket(self.url, self.on_frame, self.on_close)
        await asyncio.wait_for(self.ready, 30)

    async def warm_up(self) -> None:
        """resume + one first message, so the conversation exists and gets assigned."""
        assert self.sock is not None
        self.sock.send_text(orjson.dumps({"type": "resume", "after_seq": 0}))
        self.send(WARMUP)
        await asyncio.wait_for(self.first_ack, 30)

    def send(self, phase: int) -> None:
        assert self.sock is not None
        self.sent_count += 1
        cid = client_id(self.index, phase, self.sent_count)
        frame = {"type": "message", "client_id": cid, "text": f"{TEXT} #{self.sent_count}"}
        self.result.sent[cid] = time.monotonic()
        self.sock.send_text(orjson.dumps(frame))

    def on_frame(self, raw: bytes) -> None:
        frame = orjson.loads(raw)
        kind = frame.get("type")
        result = self.result
        if kind == "ack":
            result.acked[frame["client_id"]] = result.last_activity = time.monotonic()
            result.conversations[self.index] = frame["message"]["conversation"]
            self.window.release()
            if not self.first_ack.done():
                self.first_ack.set_result(None)
        elif kind == "ready":
            if not self.ready.done():
                self.ready.set_result(None)
        elif kind == "error":
            result.errors[str(frame.get("code"))] += 1
            if frame.get("client_id"):
                result.refused.add(frame["client_id"])
                self.window.release()  # refused, not stored: the slot is free again

    def on_close(self, code: int) -> None:
        if not self.result.closing:
            self.result.errors[f"visitor socket closed by server: {code}"] += 1
        for waiter in (self.ready, self.first_ack):
            if not waiter.done():
                waiter.set_exception(ConnectionError(f"visitor socket closed: {code}"))

    async def closed_loop(self, end: float) -> None:
        self.window = asyncio.Semaphore(self.window_size)
        while time.monotonic() < end:
            await self.window.acquire()
            if time.monotonic() >= end:
                break
            self.send(CLOSED)

    async def fixed_rate(self, start: float, end: float, period: float) -> None:
        at = start + random.random() * period
        while at < end:
            await asyncio.sleep(max(0.0, at - time.monotonic()))
            self.send(FIXED)
            at += period


class Agent:
    """One agent socket: records every bench message it receives."""

    def __init__(self, index: int, url: str, cookie: str, result: ShardResult):
        self.index, self.url, self.cookie, self.result = index, url, cookie, result
        self.sock: RawSocket | None = None
        self.ready: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    async def open(self) -> None:
        self.sock = await open_socket(self.url, self.on_frame, self.on_close, self.cookie)
        await asyncio.wait_for(self.ready, 30)

    def on_frame(self, raw: bytes) -> None:
        frame = orjson.loads(raw)
        kind = frame.get("type")
        result = self.result
        result.agent_frames[kind] += 1
        if kind == "message":
            m = frame["message"]
            cid = m.get("client_id") or ""
            if len(cid) == 36 and cid[19] == "8":  # a bench message, not a welcome/auto-reply
                result.last_activity = now = time.monotonic()
                result.received.append((self.index, m["conversation"], m["seq"], cid, now))
        elif kind == "conversation":
            conv = frame["conversation"]
            result.assignee[conv["id"]] = (conv.get("assignee") or {}).get("id")
        elif kind == "ready":
            if not self.ready.done():
                self.ready.set_result(None)
        elif kind == "error":
            result.errors[f"agent:{frame.get('code')}"] += 1

    def on_close(self, code: int) -> None:
        if not self.ready.done():
            self.ready.set_exception(
                ConnectionError(f"agent socket closed at once ({code}): not logged in?")
            )
        elif not self.result.closing:  # e.g. 4408: the server found it too slow
            self.result.errors[f"agent socket closed by server: {code}"] += 1


async def _bounded_gather(coros: list[Any], limit: int) -> list[Any]:
    """Run coroutines at most `limit` at a time (a connect storm overflows the backlog)."""
    gate = asyncio.Semaphore(limit)

    async def one(coro: Any) -> Any:
        async with gate:
            return await coro

    return await asyncio.gather(*(one(c) for c in coros), return_exceptions=True)


async def _sleep_until(at: float) -> None:
    await asyncio.sleep(max(0.0, at - time.monotonic()))


async def run_shard(plan: ShardPlan, start: Callable[[str], Awaitable[float]]) -> ShardResult:
    """Connect and warm up, then run the phases, each from the start time `start` hands
    back once every shard is ready for it."""
    result = ShardResult()
    agents = [Agent(i, url, cookie, result) for i, url, cookie in plan.agents]
    customers = [Customer(i, url, plan.window, result) for i, url in plan.customers]
    try:
        for agent in agents:  # agents first, so the conversations get assigned
            await agent.open()
        opened = await _bounded_gather([c.open() for c in customers], limit=100)
        failures = [o for o in opened if isinstance(o, BaseException)]
        if failures:
            raise RuntimeError(f"{len(failures)} visitor sockets failed: {failures[0]!r}")
        warmed = await _bounded_gather([c.warm_up() for c in customers], limit=100)
        result.connect_failures = sum(isinstance(w, BaseException) for w in warmed)
        await asyncio.sleep(1.0)  # let the coalesced `conversation` frames (300 ms) arrive

        closed_start = await start("closed")
        closed_end = closed_start + plan.closed_s
        await _sleep_until(closed_start)
        cpu_start = time.process_time()
        senders = [asyncio.create_task(c.closed_loop(closed_end)) for c in customers]
        await _sleep_until(closed_end)
        for customer in customers:
            customer.window.release()  # wake senders waiting for an ack: the phase is over
        await _finish(senders, timeout=5.0)
        result.cpu_closed_s = time.process_time() - cpu_start
        # The fixed rate is measured on an empty pipe: what the closed loop left in flight
        # is acked and delivered first (bounded: an overloaded server gets MAX_GRACE_S).
        await _settle(result, plan, time.monotonic() + MAX_GRACE_S, quiet_s=0.5)

        fixed_start = await start("fixed")
        fixed_end = fixed_start + plan.fixed_s
        if plan.fixed_rate > 0 and plan.fixed_s > 0:
            period = plan.total_customers / plan.fixed_rate
            senders = [
                asyncio.create_task(c.fixed_rate(fixed_start, fixed_end, period)) for c in customers
            ]
            await _sleep_until(fixed_end)
            await _finish(senders, timeout=5.0)
        await _settle(result, plan, time.monotonic() + MAX_GRACE_S, quiet_s=QUIET_S)
    finally:
        result.closing = True
        for sock in [a.sock for a in agents] + [c.sock for c in customers]:
            if sock is not None:
                sock.close()
        await asyncio.sleep(0.2)  # let the close frames go out
    return result


async def _settle(result: ShardResult, plan: ShardPlan, deadline: float, quiet_s: float) -> None:
    """Wait for every ack, and for what was acked to reach the agents, while anything still
    comes in (with several shards, another shard's agents hold some of this one's messages,
    so "nothing arrived for quiet_s" stands in for "all delivered")."""
    while time.monotonic() < deadline:
        if len(result.acked) + len(result.refused) >= len(result.sent):
            if plan.early_exit and _all_delivered(result):
                return
            if time.monotonic() - result.last_activity > quiet_s:
                return
        await asyncio.sleep(0.05)


async def _finish(tasks: list[asyncio.Task[None]], timeout: float) -> None:
    """Senders stop by themselves at the phase's end; any still blocked are cancelled."""
    if tasks:
        await asyncio.wait(tasks, timeout=timeout)
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


def _all_delivered(result: ShardResult) -> bool:
    if len(result.received) < len(result.acked):
        return False
    delivered = {r[3] for r in result.received}
    return all(cid in delivered for cid in result.acked)


# ----------------------------------------------------------------------------- running shards

STAGES = ("closed", "fixed")  # every shard waits for the others before each phase


@dataclass(frozen=True)
class Phases:
    closed_s: float
    fixed_s: float  # 0: no fixed-rate phase


def _event_loop_run(coro: Any) -> Any:
    try:
        import uvloop

        return uvloop.run(coro)
    except ImportError:
        return asyncio.run(coro)


def _shard_process(plan: ShardPlan, conn: Any) -> None:
    """Body of a client process: at each stage say so, take the start time, run; send back
    the result (or the failure)."""

    async def start(stage: str) -> float:
        conn.send(stage)
        loop = asyncio.get_running_loop()
        return float(await asyncio.wait_for(loop.run_in_executor(None, conn.recv), 240))

    random.seed(os.getpid())  # forked shards would otherwise share the same send offsets
    try:
        conn.send(_event_loop_run(run_shard(plan, start)))
    except BaseException as exc:  # the parent reports it; a shard must not die silently
        conn.send(RuntimeError(f"client shard failed: {exc!r}"))
        raise


def run_clients(
    plans: list[ShardPlan], on_start: Callable[[str, float], None]
) -> tuple[list[ShardResult], Schedule]:
    """Run the shards (in this process when there is one), starting each phase together."""
    plan = plans[0]
    starts: dict[str, float] = {}

    def schedule() -> Schedule:
        closed, fixed = starts["closed"], starts.get("fixed", starts["closed"])
        return Schedule(closed, closed + plan.closed_s, fixed, fixed + plan.fixed_s)

    if len(plans) == 1:

        async def start(stage: str) -> float:
            starts[stage] = time.monotonic() + 0.2
            on_start(stage, starts[stage])
            return starts[stage]

        return [_event_loop_run(run_shard(plan, start))], schedule()

    import multiprocessing as mp

    ctx = mp.get_context("fork")
    pipes, procs = [], []
    try:
        for shard_plan in plans:
            parent, child = ctx.Pipe()
            proc = ctx.Process(target=_shard_process, args=(shard_plan, child), daemon=True)
            proc.start()
            pipes.append(parent)
            procs.append(proc)
        for stage in STAGES:
            for parent in pipes:
                if not parent.poll(240):
                    raise RuntimeError(f"a client shard did not reach the {stage} phase in 240 s")
                said = parent.recv()
                if isinstance(said, BaseException):
                    raise said
            starts[stage] = time.monotonic() + 0.3
            on_start(stage, starts[stage])
            for parent in pipes:
                parent.send(starts[stage])
        results = []
        for parent in pipes:
            if not parent.poll(plan.fixed_s + MAX_GRACE_S + 60):
                raise RuntimeError("a client shard did not finish in time")
            got = parent.recv()
            if isinstance(got, BaseException):
                raise got
            results.append(got)
        return results, schedule()
    finally:
        for proc in procs:
            proc.join(timeout=5)
            if proc.is_alive():
                proc.kill()


def make_plans(
    visitor_urls: list[str],
    agents: list[tuple[str, str]],
    customers: int,
    window: int,
    phases: Phases,
    fixed_rate: float,
    client_processes: int,
) -> list[ShardPlan]:
    """Customers and agents dealt round-robin over the servers and over the client shards."""
    shards = max(1, client_processes)
    return [
        ShardPlan(
            customers=[
                (i, visitor_urls[i % len(visitor_urls)])
                for i in range(customers)
                if i % shards == s
            ],
            agents=[(j, url, cookie) for j, (url, cookie) in enumerate(agents) if j % shards == s],
            window=window,
            total_customers=customers,
            closed_s=phases.closed_s,
            fixed_s=phases.fixed_s,
            fixed_rate=fixed_rate,
            early_exit=shards == 1,
        )
        for s in range(shards)
    ]


# ----------------------------------------------------------------------------- figures


def _percentile(sorted_values: list[float], q: float) -> float | None:
    if not sorted_values:
        return None
    rank = max(0, math.ceil(q / 100 * len(sorted_values)) - 1)
    return sorted_values[rank]


@dataclass(frozen=True)
class PhaseFigures:
    sent: int
    delivered: int
    msgs_per_s: float
    p50_ms: float | None
    p90_ms: float | None
    p99_ms: float | None
    max_ms: float | None


@dataclass(frozen=True)
class RunFigures:
    closed: PhaseFigures
    fixed: PhaseFigures | None
    lost: int
    duplicated: int
    unacked: int
    errors: dict[str, int]
    fanout: float  # agent deliveries per message: 1.0 when every conversation is assigned
    agent_frames: dict[str, int]  # every frame the agent sockets received, by type
    assigned: int
    conversations: int
    client_cpu_pct: float


def summarize(results: list[ShardResult], schedule: Schedule, phases: Phases) -> RunFigures:
    sent: dict[str, float] = {}
    acked: dict[str, float] = {}
    first: dict[str, float] = {}
    per_socket: Counter[tuple[int, str]] = Counter()
    assignee: dict[int, int | None] = {}
    conversations: dict[int, int] = {}
    errors: Counter[str] = Counter()
    agent_frames: Counter[str] = Counter()
    refused: set[str] = set()
    deliveries = 0
    for r in results:
        sent.update(r.sent)
        acked.update(r.acked)
        assignee.update(r.assignee)
        conversations.update(r.conversations)
        errors.update(r.errors)
        agent_frames.update(r.agent_frames)
        refused |= r.refused
        for agent, _conv, _seq, cid, at in r.received:
            deliveries += 1
            per_socket[(agent, cid)] += 1
            if cid not in first or at < first[cid]:
                first[cid] = at

    def phase(tag: int, start: float, end: float) -> PhaseFigures:
        cids = [c for c in sent if phase_of(c) == tag]
        done = [c for c in cids if c in first]
        latencies = sorted((first[c] - sent[c]) * 1000 for c in done)
        in_window = sum(1 for c in done if start <= first[c] <= end)
        seconds = max(end - start, 1e-9)
        return PhaseFigures(
            sent=len(cids),
            delivered=len(done),
            msgs_per_s=in_window / seconds,
            p50_ms=_percentile(latencies, 50),
            p90_ms=_percentile(latencies, 90),
            p99_ms=_percentile(latencies, 99),
            max_ms=latencies[-1] if latencies else None,
        )

    closed = phase(CLOSED, schedule.closed_start, schedule.closed_end)
    fixed = phase(FIXED, schedule.fixed_start, schedule.fixed_end) if phases.fixed_s > 0 else None
    unique = len(first)
    return RunFigures(
        closed=closed,
        fixed=fixed,
        lost=sum(1 for c in acked if c not in first),
        duplicated=sum(n - 1 for n in per_socket.values() if n > 1),
        unacked=sum(1 for c in sent if c not in acked and c not in refused),
        errors=dict(errors),
        fanout=deliveries / unique if unique else 0.0,
        agent_frames=dict(agent_frames),
        assigned=sum(1 for c in set(conversations.values()) if assignee.get(c)),
        conversations=len(set(conversations.values())),
        client_cpu_pct=100 * sum(r.cpu_closed_s for r in results) / max(phases.closed_s, 1e-9),
    )


# ----------------------------------------------------------------------------- profiling


def profile_server(server: Server, seconds: float, out: Path) -> None:
    """py-spy the server for `seconds`; write where its time goes (by function) to `out`."""
    py_spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    raw = out.with_suffix(".folded")
    argv = [
        py_spy,
        "record",
        "--pid",
        str(server.proc.pid),
        "--duration",
        str(max(1, int(seconds))),
        "--rate",
        "200",
        "--format",
        "raw",
        "--nonblocking",
        "--threads",
        "-o",
        str(raw),
    ]
    try:
        subprocess.run(argv, capture_output=True, timeout=seconds + 30, check=True)
    except (OSError, subprocess.SubprocessError) as exc:
        out.write_text(f"py-spy failed: {exc}\n")
        return
    out.write_text(summarize_folded(raw.read_text()))
    print(f"profile of {server.name}: {out} (raw stacks: {raw})", file=sys.stderr)


def summarize_folded(folded: str, top: int = 40) -> str:
    """Share of samples per function, inclusive and self, from py-spy's folded stacks."""
    inclusive: Counter[str] = Counter()
    own: Counter[str] = Counter()
    threads: Counter[str] = Counter()
    total = 0
    for line in folded.splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack:
            continue
        count = int(count_text)
        frames = stack.split(";")
        total += count
        threads[frames[0]] += count
        for frame in set(frames[1:]):
            inclusive[frame] += count
        own[frames[-1]] += count
    lines = [f"{total} samples (active threads only)", "", "by thread:"]
    lines += [f"  {100 * n / total:5.1f}%  {name}" for name, n in threads.most_common()]
    lines += ["", "inclusive (function and what it calls):"]
    lines += [f"  {100 * n / total:5.1f}%  {name}" for name, n in inclusive.most_common(top)]
    lines += ["", "self:"]
    lines += [f"  {100 * n / total:5.1f}%  {name}" for name, n in own.most_common(top)]
    return "\n".join(lines) + "\n"


# ----------------------------------------------------------------------------- idle sockets


async def hold_idle_sockets(
    visitor_urls: list[str], count: int, measure: Callable[[], int]
) -> tuple[int, int, int, int]:
    """Open `count` idle visitor sockets (each waits for its `ready`) in two steps, reading
    the server's RSS after each: the per-socket cost is the slope between the two points,
    so what the first connections load once (imports, caches) is not counted per socket.
    Returns (sockets at the first point, RSS there, sockets at the end, RSS there)."""
    result = ShardResult()
    customers: list[Customer] = []

    async def open_until(total: int) -> int:
        batch = [
            Customer(i, visitor_urls[i % len(visitor_urls)], 1, result)
            for i in range(len(customers), total)
        ]
        opened = await _bounded_gather([c.open() for c in batch], limit=200)
        customers.extend(c for c, o in zip(batch, opened, strict=True) if o is None)
        await asyncio.sleep(2.0)  # let the server settle (GC, buffers) before reading RSS
        return measure()

    try:
        first = max(10, count // 10)
        rss_first = await open_until(first)
        opened_first = len(customers)
        rss_last = await open_until(count)
        return opened_first, rss_first, len(customers), rss_last
    finally:
        result.closing = True
        for customer in customers:
            if customer.sock is not None:
                customer.sock.close()
        await asyncio.sleep(0.5)


# ----------------------------------------------------------------------------- main


def _fmt(value: float | None, digits: int = 1) -> str:
    return "-" if value is None else f"{value:,.{digits}f}"


def print_table(
    args: argparse.Namespace, kefu: RunFigures, relay: RunFigures | None, extra: dict[str, Any]
) -> None:
    head = f"{'phase':<22}{'sent':>9}{'delivered':>11}{'msgs/s':>10}"
    head += f"{'p50 ms':>9}{'p90 ms':>9}{'p99 ms':>9}{'max ms':>9}"
    print(
        f"\nkefu chat_load: {args.customers} customers -> {args.agents} agents, "
        f"{extra['processes']} server process(es), {extra['database']}, "
        f"window {args.window}, {args.client_processes} client process(es), "
        f"load average before {extra['loadavg']:.1f}"
    )
    print(head)
    print("-" * len(head))
    rows = [("kefu closed loop", kefu.closed)]
    if kefu.fixed is not None:
        rows.append((f"kefu fixed {args.rate:g}/s", kefu.fixed))
    if relay is not None:
        rows.append(("bare relay closed loop", relay.closed))
    for name, f in rows:
        print(
            f"{name:<22}{f.sent:>9,}{f.delivered:>11,}{f.msgs_per_s:>10,.0f}"
            f"{_fmt(f.p50_ms):>9}{_fmt(f.p90_ms):>9}{_fmt(f.p99_ms):>9}{_fmt(f.max_ms):>9}"
        )
    print(f"ratio kefu / bare relay: {_fmt(extra['ratio'], 3)}")
    print(
        f"lost {kefu.lost}, duplicated {kefu.duplicated}, unacked {kefu.unacked}, "
        f"errors {kefu.errors or 'none'}, conversations assigned "
        f"{kefu.assigned}/{kefu.conversations}, agent deliveries per message "
        f"{kefu.fanout:.2f}"
    )
    print(f"frames received by the agent sockets: {kefu.agent_frames}")
    print(
        f"server RSS peak {_fmt(extra['server_rss_mb'])} MB, server CPU "
        f"{_fmt(extra['server_cpu_pct'], 0)}% (closed loop), client CPU "
        f"{_fmt(kefu.client_cpu_pct, 0)}%; relay server CPU "
        f"{_fmt(extra.get('bare_relay_server_cpu_pct'), 0)}%, client CPU "
        f"{_fmt(relay.client_cpu_pct if relay else None, 0)}%\n"
    )


def run_load(
    visitor_urls: list[str],
    agents: list[tuple[str, str]],
    args: argparse.Namespace,
    servers: list[Server],
    phases: Phases,
    profile_dir: Path | None = None,
) -> tuple[RunFigures, dict[str, float | None]]:
    plans = make_plans(
        visitor_urls,
        agents,
        args.customers,
        args.window,
        phases,
        args.rate if phases.fixed_s > 0 else 0.0,
        args.client_processes,
    )
    profilers: list[threading.Timer] = []

    def on_start(stage: str, at: float) -> None:
        if profile_dir is None or stage != "closed":
            return
        for i, server in enumerate(servers):
            out = profile_dir / f"{server.name.split()[0]}-{i}.txt"
            timer = threading.Timer(
                max(0.0, at - time.monotonic()),
                profile_server,
                args=(server, phases.closed_s, out),
            )
            timer.start()
            profilers.append(timer)

    with RssSampler(servers) as sampler:
        results, schedule = run_clients(plans, on_start)
    for timer in profilers:
        timer.join(timeout=phases.closed_s + 30)
    figures = summarize(results, schedule, phases)
    measured = {
        "server_rss_mb": sampler.peak / 2**20 if servers else None,
        "server_cpu_pct": sampler.cpu_pct(schedule.closed_start, schedule.closed_end),
    }
    return figures, measured


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description="Load benchmark of kefu's live desk.")
    p.add_argument("--customers", type=int, default=100)
    p.add_argument("--agents", type=int, default=10)
    p.add_argument("--seconds", type=float, default=10.0, help="closed-loop phase length")
    p.add_argument("--rate", type=float, default=500.0, help="offered msgs/s, fixed phase")
    p.add_argument(
        "--fixed-seconds",
        type=float,
        default=None,
        help="fixed-rate phase length (default: --seconds; 0 skips it)",
    )
    p.add_argument("--window", type=int, default=2, help="unacked messages per customer")
    p.add_argument(
        "--url",
        action="append",
        default=[],
        help="target a running kefu (repeat for several processes)",
    )
    p.add_argument("--shop-key", help="the shop's public key, with --url")
    p.add_argument(
        "--agent-login",
        action="append",
        default=[],
        metavar="USER:PASSWORD",
        help="agent credentials, with --url (reused round-robin for M sockets)",
    )
    p.add_argument("--processes", type=int, default=1, help="kefu server processes to start")
    p.add_argument(
        "--database-url",
        default="",
        help="a PostgreSQL server: the bench creates (and drops) its own database there",
    )
    p.add_argument(
        "--redis-url",
        default="",
        help="Redis for the servers started; 'private' starts a throwaway redis-server",
    )
    p.add_argument("--client-processes", type=int, default=1)
    p.add_argument("--no-bare-relay", action="store_true")
    p.add_argument("--relay-ws", default="auto", help="uvicorn --ws of the bare relay")
    p.add_argument(
        "--idle-sockets",
        type=int,
        default=0,
        help="only measure server RSS holding this many idle visitor sockets",
    )
    p.add_argument("--keep", action="store_true", help="keep the temp data dir (logs)")
    p.add_argument(
        "--profile",
        type=Path,
        default=None,
        metavar="DIR",
        help="py-spy the kefu server(s) during the closed loop; summaries in DIR",
    )
    args = p.parse_args(argv)
    if args.fixed_seconds is None:
        args.fixed_seconds = args.seconds
    for url in args.url:
        if urllib.parse.urlsplit(url).hostname not in ("127.0.0.1", "localhost"):
            p.error(f"only 127.0.0.1 is benchmarked, not {url}")
    if args.url and not (args.shop_key and args.agent_login):
        p.error("--url needs --shop-key and at least one --agent-login")
    if args.processes > 1 and not (args.database_url and args.redis_url):
        p.error("--processes > 1 needs --database-url and --redis-url")
    return args


def _ws_base(http_url: str) -> str:
    return "ws://" + urllib.parse.urlsplit(http_url).netloc


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt  # unwinds like Ctrl-C, so every server started is killed


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = parse_args(argv)
    load_before = os.getloadavg()[0]  # the machine may be shared: say how busy it was
    _raise_nofile()
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _interrupt)  # the ExitStack below still runs
    with ExitStack() as stack:
        work = Path(tempfile.mkdtemp(prefix="kefu-bench-"))
        if not args.keep:
            stack.callback(shutil.rmtree, work, ignore_errors=True)
        servers: list[Server] = []
        if args.url:
            bases, shop_key = [u.rstrip("/") for u in args.url], args.shop_key
            logins = [tuple(x.split(":", 1)) for x in args.agent_login]
            database = "external server"
        else:
            database_url = temporary_database(args.database_url, stack) if args.database_url else ""
            redis_url = (
                private_redis(work, stack) if args.redis_url == "private" else args.redis_url
            )
            env = kefu_env(work / "data", database_url, redis_url)
            (work / "data").mkdir()
            capacity = min(500, max(8, math.ceil(args.customers / max(args.agents, 1)) + 2))
            print(f"setting up kefu in {work} ...", file=sys.stderr)
            shop_key = prepare_kefu(work / "data", env, args.agents, capacity)
            for i in range(args.processes):
                port = free_port()
                server = start_kefu(port, env, work / f"kefu-{i}.log")
                stack.callback(server.close)
                servers.append(server)
            for server in servers:
                server.wait_listening()
            bases = [f"http://127.0.0.1:{s.port}" for s in servers]
            logins = [(f"bench-agent-{j}", BENCH_AGENT_PASSWORD) for j in range(args.agents)]
            database = "postgresql+redis" if args.database_url else "sqlite"
        visitor_urls = [f"{_ws_base(b)}/ws/visitor?key={shop_key}" for b in bases]

        if args.idle_sockets:
            return run_idle(args, visitor_urls, servers, work)

        agents = []
        for j in range(args.agents):
            base = bases[j % len(bases)]
            user, password = logins[j % len(logins)]
            agents.append((f"{_ws_base(base)}/ws/agent", login(base, user, password)))
        phases = Phases(closed_s=args.seconds, fixed_s=args.fixed_seconds)
        print(
            f"running kefu: {args.seconds:g}s closed loop, {args.fixed_seconds:g}s at "
            f"{args.rate:g}/s ...",
            file=sys.stderr,
        )
        if args.profile:
            args.profile.mkdir(parents=True, exist_ok=True)
        kefu, measured = run_load(visitor_urls, agents, args, servers, phases, args.profile)
        for server in servers:
            server.close()  # free the cores before the relay runs

        relay: RunFigures | None = None
        relay_cpu = None
        if not args.no_bare_relay:
            print("running the bare relay ...", file=sys.stderr)
            relay_server = start_bare_relay(free_port(), work / "relay.log", args.relay_ws)
            stack.callback(relay_server.close)
            relay_server.wait_listening()
            relay_base = f"ws://127.0.0.1:{relay_server.port}"
            relay_agents = [(f"{relay_base}/ws/agent", "") for _ in range(args.agents)]
            relay, relay_measured = run_load(
                [f"{relay_base}/ws/visitor?key=relay"],
                relay_agents,
                args,
                [relay_server],
                Phases(closed_s=args.seconds, fixed_s=0.0),
            )
            relay_cpu = relay_measured["server_cpu_pct"]
            relay_server.close()

        relay_rate = relay.closed.msgs_per_s if relay else None
        extra: dict[str, Any] = {
            "processes": len(servers) or len(bases),
            "database": database,
            "ratio": kefu.closed.msgs_per_s / relay_rate if relay_rate else None,
            "bare_relay_server_cpu_pct": relay_cpu,
            "loadavg": load_before,
            **measured,
        }
        print_table(args, kefu, relay, extra)
        figures = {
            "customers": args.customers,
            "agents": args.agents,
            "seconds": args.seconds,
            "window": args.window,
            "processes": extra["processes"],
            "database": database,
            "client_processes": args.client_processes,
            "loadavg_1m_before": round(load_before, 2),
            "msgs_per_s": round(kefu.closed.msgs_per_s, 1),
            "p50_ms": _round(kefu.closed.p50_ms),
            "p90_ms": _round(kefu.closed.p90_ms),
            "p99_ms": _round(kefu.closed.p99_ms),
            "max_ms": _round(kefu.closed.max_ms),
            "sent": kefu.closed.sent,
            "delivered": kefu.closed.delivered,
            "lost": kefu.lost,
            "duplicated": kefu.duplicated,
            "unacked": kefu.unacked,
            "errors": kefu.errors,
            "assigned": kefu.assigned,
            "conversations": kefu.conversations,
            "fanout": round(kefu.fanout, 3),
            "agent_frames": kefu.agent_frames,
            "fixed_rate": args.rate if kefu.fixed else None,
            "fixed_msgs_per_s": round(kefu.fixed.msgs_per_s, 1) if kefu.fixed else None,
            "fixed_p50_ms": _round(kefu.fixed.p50_ms) if kefu.fixed else None,
            "fixed_p99_ms": _round(kefu.fixed.p99_ms) if kefu.fixed else None,
            "bare_relay_msgs_per_s": round(relay_rate, 1) if relay_rate else None,
            "bare_relay_p50_ms": _round(relay.closed.p50_ms) if relay else None,
            "bare_relay_p99_ms": _round(relay.closed.p99_ms) if relay else None,
            "ratio": _round(extra["ratio"], 3),
            "server_rss_mb": _round(measured["server_rss_mb"]),
            "server_cpu_pct": _round(measured["server_cpu_pct"]),
            "client_cpu_pct": _round(kefu.client_cpu_pct),
            "bare_relay_server_cpu_pct": _round(relay_cpu),
            "bare_relay_client_cpu_pct": _round(relay.client_cpu_pct) if relay else None,
        }
        print(orjson.dumps(figures).decode(), flush=True)
        return figures


def run_idle(
    args: argparse.Namespace, visitor_urls: list[str], servers: list[Server], work: Path
) -> dict[str, Any]:
    kefu = measure_idle(args.idle_sockets, visitor_urls, servers, "kefu")
    for server in servers:
        server.close()
    relay: dict[str, Any] = {}
    if not args.no_bare_relay:
        relay_server = start_bare_relay(free_port(), work / "relay.log", args.relay_ws)
        try:
            relay_server.wait_listening()
            url = f"ws://127.0.0.1:{relay_server.port}/ws/visitor?key=relay"
            relay = measure_idle(args.idle_sockets, [url], [relay_server], "bare relay")
        finally:
            relay_server.close()
    figures = {
        "idle_sockets": args.idle_sockets,
        "idle_sockets_open": kefu["open"],
        "processes": len(servers),
        "server_rss_idle_mb": kefu["idle_mb"],
        "server_rss_mb": kefu["rss_mb"],
        "rss_per_socket_kb": kefu["per_socket_kb"],
        "bare_relay_rss_mb": relay.get("rss_mb"),
        "bare_relay_rss_per_socket_kb": relay.get("per_socket_kb"),
        "msgs_per_s": None,
        "p50_ms": None,
        "p99_ms": None,
        "lost": None,
        "duplicated": None,
        "bare_relay_msgs_per_s": None,
        "ratio": None,
    }
    print(orjson.dumps(figures).decode(), flush=True)
    return figures


def measure_idle(
    count: int, visitor_urls: list[str], servers: list[Server], name: str
) -> dict[str, Any]:
    def rss() -> int:
        return sum(s.rss_bytes() for s in servers)

    print(f"{name}: opening {count:,} idle visitor sockets ...", file=sys.stderr)
    before = rss()
    n1, rss1, n2, rss2 = _event_loop_run(hold_idle_sockets(visitor_urls, count, rss))
    per_socket_kb = (rss2 - rss1) / (n2 - n1) / 1024 if n2 > n1 else None
    mb = 2**20
    print(
        f"{name}: {n2:,} of {count:,} idle visitor sockets held; server RSS "
        f"{before / mb:,.1f} MB with none, {rss1 / mb:,.1f} MB at {n1:,}, "
        f"{rss2 / mb:,.1f} MB at {n2:,}: {_fmt(per_socket_kb)} kB per socket"
    )
    return {
        "open": n2,
        "idle_mb": _round(before / mb),
        "rss_mb": _round(rss2 / mb),
        "per_socket_kb": _round(per_socket_kb),
    }


def _round(value: float | None, digits: int = 2) -> float | None:
    return None if value is None else round(value, digits)


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        sys.exit(130)
