"""Shared fixtures: factories for shops and people, a live ASGI server, service checks."""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

IN_CI = os.environ.get("CI") == "true"
OUTPUT_DIR = Path(__file__).resolve().parent.parent / "test-output"


def require_service(name: str, reachable: bool, hint: str) -> None:
    """Skip with a clear message on a user's machine; fail in CI, where the service must run."""
    if reachable:
        return
    message = f"{name} is not reachable ({hint})"
    if IN_CI:
        pytest.fail(f"{message}; CI=true, so this suite must run, not skip")
    pytest.skip(f"{message}; start it to run this test")


def redis_available(url: str) -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=2).ping())
    except redis.RedisError:
        return False


@pytest.fixture
def redis_url() -> str:
    url = os.environ.get("KEFU_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    require_service("Redis", redis_available(url), url)
    return url


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class People:
    shop: object
    owner: object
    supervisor: object
    agent: object
    agent2: object
    password: str = "s3cret-pass"


@pytest.fixture
def make_shop(db):  # type: ignore[no-untyped-def]
    """Factory: a shop open around the clock, with an owner, a supervisor and two agents."""
    from kefu.shops import services as shop_services
    from kefu.shops.models import Membership, Role

    counter = iter(range(1, 10_000))

    def build(slug: str | None = None, **settings: object) -> People:
        n = next(counter)
        slug = slug or f"shop{n}"
        defaults = {"hours_start": "00:00", "hours_end": "00:00"}
        shop = shop_services.create_shop(
            name=f"测试店铺{n}", slug=slug, owner_username=f"{slug}-owner",
            owner_password="s3cret-pass", owner_display_name="店长", **{**defaults, **settings},
        )
        owner = Membership.objects.get(shop=shop, role=Role.OWNER)
        made = [
            shop_services.create_member(
                actor=owner, username=f"{slug}-{u}", password="s3cret-pass",
                display_name=name, role=role, capacity=cap,
            )
            for u, name, role, cap in [
                ("sup", "主管", Role.SUPERVISOR, None),
                ("a1", "小美", Role.AGENT, 2),
                ("a2", "阿杰", Role.AGENT, 2),
            ]
        ]
        return People(shop, owner, *made)

    yield build
    _let_the_live_server_settle()


def _let_the_live_server_settle() -> None:
    """Before the test database is flushed, let the server's threads finish what the test
    started: on PostgreSQL a TRUNCATE racing the coach's or writer's last transaction
    can deadlock."""
    from kefu.coach.analyzer import analyzer
    from kefu.realtime.writer import writer

    analyzer.wait_idle(10)
    writer.executor.submit(lambda: None).result(10)  # one thread, FIFO: earlier work is done


def set_online(*members: object) -> None:
    from django.utils import timezone

    from kefu.shops.models import Membership

    Membership.objects.filter(id__in=[m.id for m in members]).update(
        online_sockets=1, last_seen_at=timezone.now()
    )


class LiveServer:
    """uvicorn serving kefu.asgi in a thread of the test process, on the test database."""

    def __init__(self) -> None:
        import uvicorn

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.ws_url = f"ws://127.0.0.1:{self.port}"
        config = uvicorn.Config(
            "kefu.asgi:application", host="127.0.0.1", port=self.port, log_level="warning",
            ws_max_size=64 * 1024, lifespan="on",
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def start(self) -> None:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("live server did not start")
            time.sleep(0.05)

    def stop(self) -> None:
        from kefu.coach.analyzer import analyzer

        analyzer.wait_idle(10)  # let the coach finish before the test database goes
        self.server.should_exit = True
        self.thread.join(10)


@pytest.fixture(scope="session")
def live_server_asgi(django_db_setup, django_db_blocker) -> Iterator[LiveServer]:  # type: ignore[no-untyped-def]
    from django.core.management import call_command

    with django_db_blocker.unblock():
        call_command("collectstatic", "--no-input", "-v", "0")
        server = LiveServer()
        server.start()
        try:
            yield server
        finally:
            server.stop()
            _drop_server_connections()


def _drop_server_connections() -> None:
    """The server's worker threads keep their connections; PostgreSQL won't drop a test
    database that still has sessions, so end them."""
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )


@pytest.fixture
def output_dir() -> Path:
    OUTPUT_DIR.mkdir(exist_ok=True)
    return OUTPUT_DIR


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):  # type: ignore[no-untyped-def]
    """Real hashing costs ~0.3 s a user; tests make hundreds of users."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
