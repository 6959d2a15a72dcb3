"""The yardstick: a bare Starlette WebSocket relay on uvicorn, no storage, no auth.

bench/chat_load.py drives this and kefu with the same client, so kefu's throughput can be
read as a fraction of what plain uvicorn + Starlette can move on the same machine.

It speaks just enough of docs/protocol.md for that client: a visitor gets `ready`, an
empty `history` for its `resume`, and an `ack` for each `message`, which is forwarded as a
`message` frame to one agent socket (conversations are dealt to agents round-robin and
stay with that agent). Frames are shaped like kefu's so the bytes on the wire compare.

    .venv/bin/python bench/bare_relay.py --port 8765 [--ws websockets-sansio]
"""

from __future__ import annotations

import argparse
import itertools
from datetime import datetime
from zoneinfo import ZoneInfo

import orjson
import uvicorn
from starlette.applications import Starlette
from starlette.routing import WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

_SHANGHAI = ZoneInfo("Asia/Shanghai")
_agents: list[WebSocket] = []
_conversation_ids = itertools.count(1)
_message_ids = itertools.count(1)

_AGENT_READY = orjson.dumps(
    {
        "type": "ready",
        "me": {"member_id": 0, "name": "relay", "role": "agent"},
        "shop": {"id": 0, "name": "relay"},
        "conversations": [],
    }
).decode()


async def agent_endpoint(websocket: WebSocket) -> None:
    await websocket.accept()
    await websocket.send_text(_AGENT_READY)
    _agents.append(websocket)
    try:
        while True:  # agents only listen here; whatever they send is read and dropped
            await websocket.receive_text()
    except WebSocketDisconnect:
        pass
    finally:
        _agents.remove(websocket)


async def visitor_endpoint(websocket: WebSocket) -> None:
    await websocket.accept()
    conversation = next(_conversation_ids)
    ready = {
        "type": "ready",
        "token": f"relay-{conversation}",
        "shop": {"name": "relay", "announcement": ""},
        "conversation": None,
        "agent_online": bool(_agents),
    }
    await websocket.send_text(orjson.dumps(ready).decode())
    seq = 0
    agent: WebSocket | None = None
    try:
        while True:
            frame = orjson.loads(await websocket.receive_text())
            kind = frame.get("type")
            if kind == "resume":
                history = {"type": "history", "messages": [], "last_seq": seq}
                await websocket.send_text(orjson.dumps(history).decode())
            elif kind == "ping":
                await websocket.send_text('{"type":"pong"}')
            elif kind == "message":
                seq += 1
                message = {
                    "id": next(_message_ids),
                    "conversation": conversation,
                    "seq": seq,
                    "client_id": frame["client_id"],
                    "sender": "customer",
                    "author": None,
                    "text": frame["text"],
                    "image_url": None,
                    "created_at": datetime.now(_SHANGHAI).isoformat(timespec="seconds"),
                }
                ack = {"type": "ack", "client_id": frame["client_id"], "message": message}
                await websocket.send_text(orjson.dumps(ack).decode())
                if agent is None or agent not in _agents:
                    agent = _agents[conversation % len(_agents)] if _agents else None
                if agent is not None:
                    out = orjson.dumps({"type": "message", "message": message}).decode()
                    try:
                        await agent.send_text(out)
                    except (WebSocketDisconnect, RuntimeError):
                        agent = None  # that agent left mid-send; the next message picks another
    except WebSocketDisconnect:
        pass


app = Starlette(
    routes=[
        WebSocketRoute("/ws/agent", agent_endpoint),
        WebSocketRoute("/ws/visitor", visitor_endpoint),
    ]
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--ws", default="auto", help="uvicorn WebSocket implementation")
    args = parser.parse_args()
    uvicorn.run(
        app,
        host="127.0.0.1",
        port=args.port,
        ws=args.ws,
        ws_per_message_deflate=False,
        log_level="warning",
        access_log=False,
        lifespan="off",
        backlog=4096,
    )


if __name__ == "__main__":
    main()
