"""The client side of the real-server tests: kefu servers as subprocesses, and their sockets.

The tests that kill servers or run two of them cannot use the in-process live server:
they start `kefu serve` as child processes on their OWN database (a temporary SQLite
file, or a fresh PostgreSQL database created and dropped here), talk to them only over
HTTP and WebSockets, and never touch the ORM in the test process. Every wait here is
bounded.
"""

from __future__ import annotations

import asyncio
import atexit
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
from websockets.asyncio.client import ClientConnection, connect

BIN = Path(sys.executable).parent
PASSWORD = "s3cret-pass"
PG_BASE_URL = (
    os.environ.get("KEFU_TEST_PG_URL")
    or os.environ.get("DATABASE_URL")
    or "postgres://postgres@127.0.0.1:5432/test"
)
# Variables of the test run that must not leak into the servers: each test says its own.
_SERVER_VARS = ("DATABASE_URL", "REDIS_URL", "KEFU_SQLITE_PATH", "KEFU_DATA_DIR")


# --- databases ----------------------------------------------------------------------------------


def base_env(data_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _SERVER_VARS}
    env.update(
        KEFU_DATA_DIR=str(data_dir),
        DJANGO_SETTINGS_MODULE="kefu.settings",
        PYTHONUNBUFFERED="1",
        **extra,
    )
    return env


def sqlite_env(data_dir: Path) -> dict[str, str]:
    """A fresh SQLite file, migrated."""
    env = base_env(data_dir, KEFU_SQLITE_PATH=str(data_dir / "kefu.sqlite3"))
    migrate(env)
    return env


def postgres_reachable(url: str = PG_BASE_URL) -> bool:
    import psycopg

    try:
        psycopg.connect(url, connect_timeout=3).close()
    except psycopg.OperationalError:
        return False
    return True


def _database_url(base_url: str, name: str) -> str:
    parts = urlsplit(base_url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, ""))


def _drop_database(base_url: str, name: str) -> None:
    import psycopg

    with psycopg.connect(base_url, autocommit=True, connect_timeout=5) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


_pg_templates: dict[str, str] = {}  # base url -> a database migrated once per test session


def _migrated_template(base_url: str) -> str:
    """Migrating PostgreSQL takes seconds: do it once, then copy the database per test."""
    if base_url not in _pg_templates:
        import psycopg

        name = f"kefu_tmpl_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(base_url, autocommit=True, connect_timeout=5) as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
        atexit.register(_drop_database, base_url, name)
        data_dir = Path(tempfile.mkdtemp(prefix="kefu-pg-template-"))
        atexit.register(shutil.rmtree, data_dir, True)
        migrate(base_env(data_dir, DATABASE_URL=_database_url(base_url, name)))
        _pg_templates[base_url] = name
    return _pg_templates[base_url]


@contextmanager
def postgres_database(base_url: str = PG_BASE_URL) -> Iterator[str]:
    """A fresh, migrated PostgreSQL database for one test; dropped afterwards."""
    import psycopg

    template = _migrated_template(base_url)
    name = f"kefu_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(base_url, autocommit=True, connect_timeout=5) as admin:
        admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    try:
        yield _database_url(base_url, name)
    finally:
        _drop_database(base_url, name)


def migrate(env: dict[str, str]) -> None:
    done = subprocess.run(
        [str(BIN / "kefu"), "migrate"], env=env, capture_output=True, text=True, timeout=120
    )
    if done.returncode != 0:
        raise RuntimeError(f"kefu migrate failed:\n{done.stdout}\n{done.stderr}")


_MAKE_SHOP = """
import json, sys
import django
django.setup()
from django.db import connection
from kefu.shops import services
from kefu.shops.models import Membership, Role, Shop
spec = json.loads(sys.argv[1])
slug = spec["slug"]
# Real-time events travel on the Redis channel kefu:shop:<id>, and Redis is shared by every
# database: a random id keeps this run's channel its own.
table = Shop._meta.db_table
with connection.cursor() as cursor:
    if connection.vendor == "postgresql":
        cursor.execute(
            "SELECT setval(pg_get_serial_sequence(%s, 'id'), %s, false)", [table, spec["shop_id"]]
        )
    else:
        cursor.execute("DELETE FROM sqlite_sequence WHERE name = %s", [table])
        cursor.execute(
            "INSERT INTO sqlite_sequence (name, seq) VALUES (%s, %s)", [table, spec["shop_id"] - 1]
        )
shop = services.create_shop(
    name="测试店铺" + slug[-4:], slug=slug, owner_username=slug + "-owner",
    owner_password=spec["password"], owner_display_name="店长",
    hours_start="00:00", hours_end="00:00",
)
owner = Membership.objects.get(shop=shop, role=Role.OWNER)
agents = []
for i, name in enumerate(spec["agents"], 1):
    member = services.create_member(
        actor=owner, username=f"{slug}-a{i}", password=spec["password"], display_name=name,
        role=Role.AGENT, capacity=500,
    )
    agents.append({"username": member.user.username, "member_id": member.id})
print(json.dumps({"id": shop.id, "key": shop.public_key, "agents": agents}))
"""


@dataclass(frozen=True)
class ShopInfo:
    id: int
    key: str
    agent_usernames: tuple[str, ...]


def create_shop(env: dict[str, str], agents: tuple[str, ...] = ("小美",)) -> ShopInfo:
    """A shop with a random id, open around the clock, with agents, in a migrated database."""
    spec = {
        "slug": f"t{uuid.uuid4().hex[:10]}",
        "password": PASSWORD,
        "agents": list(agents),
        "shop_id": secrets.randbelow(2_000_000_000) + 1_000_000,
    }
    done = subprocess.run(
        [str(BIN / "python"), "-c", _MAKE_SHOP, json.dumps(spec)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    if done.returncode != 0:
        raise RuntimeError(f"creating the test shop failed:\n{done.stdout}\n{done.stderr}")
    data = json.loads(done.stdout.strip().splitlines()[-1])
    return ShopInfo(data["id"], data["key"], tuple(a["username"] for a in data["agents"]))


# --- server processes ---------------------------------------------------------------------------


# Runs the server in its place, tied to the thread that started it: Linux kills it if the
# test process dies first, however abruptly (a CI timeout), so no server outlives its test.
_EXEC_TIED_TO_PARENT = """
import ctypes, os, signal, sys
if sys.platform == "linux":
    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
os.execv(sys.argv[1], sys.argv[1:])
"""


class ServerProcess:
    """`kefu serve --port P` as a child process; its output goes to a log file.

    Start it from the test's main thread (not a worker thread): the server is tied to it.
    """

    def __init__(self, env: dict[str, str], port: int, log_path: Path) -> None:
        self.env, self.port, self.log_path = env, port, log_path
        self.url = f"http://127.0.0.1:{port}"
        self.ws_url = f"ws://127.0.0.1:{port}"
        self.proc: subprocess.Popen[bytes] | None = None
        self.started: list[subprocess.Popen[bytes]] = []

    def start(self, timeout: float = 20.0) -> None:
        """Start and wait (bounded) until it answers HTTP; blocks the calling thread."""
        with self.log_path.open("ab") as log:
            log.write(f"\n=== starting kefu serve --port {self.port} ===\n".encode())
            log.flush()
            self.proc = subprocess.Popen(
                [
                    str(BIN / "python"),
                    "-c",
                    _EXEC_TIED_TO_PARENT,
                    str(BIN / "kefu"),
                    "serve",
                    "--port",
                    str(self.port),
                ],
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.started.append(self.proc)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}:\n{self.output()}")
            try:
                if httpx.get(self.url + "/accounts/login/", timeout=1.0).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"server on port {self.port} did not start:\n{self.output()}")

    def kill_hard(self) -> None:
        """`kill -9`: no shutdown hooks, no flushing, nothing."""
        assert self.proc is not None
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        """Kill every process this object started (a restart leaves the killed one behind)."""
        for proc in self.started:
            if proc.poll() is None:
                proc.kill()
                proc.wait(10)

    def output(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


# --- sockets ------------------------------------------------------------------------------------


def new_client_id() -> str:
    return uuid.uuid4().hex


async def login(base_url: str, username: str, password: str = PASSWORD) -> str:
    """Log in through Django's login form like a browser does; returns the sessionid."""
    async with httpx.AsyncClient(base_url=base_url, timeout=10.0) as http:
        page = await http.get("/accounts/login/")
        page.raise_for_status()
        answer = await http.post(
            "/accounts/login/",
            data={
                "username": username,
                "password": password,
                "csrfmiddlewaretoken": page.cookies["csrftoken"],
            },
            headers={"Referer": base_url + "/accounts/login/"},
        )
        session = answer.cookies.get("sessionid")
        if answer.status_code != 302 or not session:
            raise RuntimeError(f"login as {username} failed: {answer.status_code}")
        return session


class Socket:
    """A WebSocket speaking kefu's JSON frames, with bounded waits."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        # The protocol says `ready` comes first; anything the server sent before it lands
        # here, so that a test can both process it and report the breach.
        self.before_ready: list[dict[str, Any]] = []

    async def send(self, frame: dict[str, Any]) -> None:
        await self.ws.send(json.dumps(frame, ensure_ascii=False))

    async def recv(self, timeout: float = 10.0) -> dict[str, Any]:
        raw = await asyncio.wait_for(self.ws.recv(), timeout)
        frame: dict[str, Any] = json.loads(raw)
        return frame

    async def expect(
        self, matches: Callable[[dict[str, Any]], bool], timeout: float = 10.0
    ) -> dict[str, Any]:
        """The first frame that matches, skipping others; fails after `timeout` seconds."""
        async with asyncio.timeout(timeout):
            while True:
                frame = await self.recv(timeout)
                if matches(frame):
                    return frame

    async def ready(self) -> dict[str, Any]:
        async with asyncio.timeout(10):
            while (frame := await self.recv())["type"] != "ready":
                self.before_ready.append(frame)
        return frame

    async def close(self) -> None:
        await self.ws.close()


async def open_visitor(
    ws_url: str, key: str, token: str | None = None
) -> tuple[Socket, dict[str, Any]]:
    """A customer's widget socket and its `ready` frame."""
    query = f"key={key}" + (f"&token={token}" if token else "")
    ws = await asyncio.wait_for(connect(f"{ws_url}/ws/visitor?{query}", max_size=None), 10)
    sock = Socket(ws)
    return sock, await sock.ready()


async def open_agent(ws_url: str, session_id: str) -> tuple[Socket, dict[str, Any]]:
    """An agent's workbench socket (authenticated by the session cookie) and its `ready`."""
    ws = await asyncio.wait_for(
        connect(
            f"{ws_url}/ws/agent",
            additional_headers={"Cookie": f"sessionid={session_id}"},
            max_size=None,
        ),
        10,
    )
    sock = Socket(ws)
    return sock, await sock.ready()
