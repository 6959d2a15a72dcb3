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
            await django_app(scope, receive, send)
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
