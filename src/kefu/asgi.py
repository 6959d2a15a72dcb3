"""The ASGI application: Django for pages and the API, kefu's own endpoint for WebSockets.

WebSockets do not go through Django Channels: a bare ASGI endpoint with an
in-process hub (or Redis pub/sub) relays several times faster on this hardware
(docs/architecture.md has the figures).
"""

from __future__ import annotations

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kefu.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.asgi import get_asgi_application  # noqa: E402
from starlette.staticfiles import StaticFiles  # noqa: E402
from starlette.websockets import WebSocket  # noqa: E402

from kefu.chat import services as chat_services  # noqa: E402
from kefu.realtime import endpoint  # noqa: E402
from kefu.realtime.hub import hub  # noqa: E402
from kefu.realtime.writer import writer  # noqa: E402

django_app = get_asgi_application()
settings.STATIC_ROOT.mkdir(parents=True, exist_ok=True)
settings.MEDIA_ROOT.mkdir(parents=True, exist_ok=True)
static_app = StaticFiles(directory=settings.STATIC_ROOT)
media_app = StaticFiles(directory=settings.MEDIA_ROOT)
# Request bodies are refused past these sizes before anything parses them.
UPLOAD_LIMIT = settings.KEFU_MAX_IMAGE_BYTES + 64 * 1024
BODY_LIMIT = 64 * 1024 * 1024
SOCKETS = {"/ws/visitor": endpoint.visitor_socket, "/ws/agent": endpoint.agent_socket}


async def application(scope, receive, send):  # type: ignore[no-untyped-def]
    kind = scope["type"]
    if kind == "websocket":
        handler = SOCKETS.get(scope["path"])
        ws = WebSocket(scope, receive, send)
        if handler is None:
            await endpoint.refuse(ws, endpoint.CLOSE_NOT_FOUND)
            return
        await handler(ws)
    elif kind == "http":
        path = scope["path"]
        if path.startswith(settings.STATIC_URL):
            await static_app(_strip(scope, settings.STATIC_URL), receive, send)
        elif path.startswith(settings.MEDIA_URL):
            await media_app(_strip(scope, settings.MEDIA_URL), receive, send)
        else:
            limit = UPLOAD_LIMIT if path == "/api/visitor/upload" else BODY_LIMIT
            await _with_body_limit(scope, receive, send, limit)
    elif kind == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                if not settings.REDIS_URL:
                    # One process owns every socket: counts left by a killed run are stale.
                    await endpoint.run_sync(chat_services.reset_presence)
                await hub.start()
                writer.start()
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await writer.stop()
                await hub.stop()
                await send({"type": "lifespan.shutdown.complete"})
                return


def _strip(scope, prefix: str):  # type: ignore[no-untyped-def]
    return {**scope, "path": "/" + scope["path"][len(prefix):], "root_path": ""}


class _BodyTooLarge(Exception):
    pass


async def _with_body_limit(scope, receive, send, limit: int):  # type: ignore[no-untyped-def]
    """Answer 413 for a declared or streamed body over `limit`; Django sees only smaller ones."""
    declared = dict(scope.get("headers") or ()).get(b"content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        await _too_large(send)
        return
    seen = 0
    started = False

    async def counted_receive():  # type: ignore[no-untyped-def]
        nonlocal seen
        message = await receive()
        if message["type"] == "http.request":
            seen += len(message.get("body", b""))
            if seen > limit:
                raise _BodyTooLarge
        return message

    async def tracked_send(message):  # type: ignore[no-untyped-def]
        nonlocal started
        started = started or message["type"] == "http.response.start"
        await send(message)

    try:
        await django_app(scope, counted_receive, tracked_send)
    except _BodyTooLarge:
        if not started:
            await _too_large(send)


async def _too_large(send) -> None:  # type: ignore[no-untyped-def]
    body = '{"error":{"code":"too_large","message":"上传的内容太大了。"}}'.encode()
    await send({"type": "http.response.start", "status": 413,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
