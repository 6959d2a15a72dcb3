"""The JSON shapes of messages and conversations on the wire (docs/protocol.md)."""

from __future__ import annotations

from typing import Any

from django.conf import settings

from kefu.chat.models import Conversation, Message


def message_dict(message: Message, author_name: str | None = None) -> dict[str, Any]:
    if author_name is None and message.author_id is not None:
        author_name = message.author.display_name
    return {
        "id": message.id,
        "conversation": message.conversation_id,
        "seq": message.seq,
        "client_id": message.client_id,
        "sender": message.sender,
        "author": author_name,
        "text": message.text,
        "image_url": f"{settings.MEDIA_URL}{message.image}" if message.image else None,
        "created_at": message.created_at.isoformat(),
        "meta": message.meta or {},
    }


def for_visitor(message: dict[str, Any]) -> dict[str, Any]:
    """A message as a customer's browser gets it: the coach's reading of them stays with staff."""
    meta = message.get("meta")
    if not meta or "coach" not in meta:
        return message
    return {**message, "meta": {k: v for k, v in meta.items() if k != "coach"}}


def visitor_label(visitor_id: int, nickname: str) -> str:
    return nickname or f"访客{visitor_id}"


def conversation_dict(conv: Conversation) -> dict[str, Any]:
    """Summary for the workbench list; expects visitor and assignee selected."""
    assignee = conv.assignee
    return {
        "id": conv.id,
        "status": conv.status,
        "visitor": visitor_label(conv.visitor_id, conv.visitor.nickname),
        "assignee": {"id": assignee.id, "name": assignee.display_name} if assignee else None,
        "last_seq": conv.last_seq,
        "last_message_preview": conv.last_message_preview,
        "last_message_at": conv.last_message_at.isoformat() if conv.last_message_at else None,
        "unread": conv.unread_count,
        "waiting_since": conv.waiting_since.isoformat() if conv.waiting_since else None,
        "mood": conv.mood,
        "handoff": {"from": conv.handoff_from, "note": conv.handoff_note}
        if conv.handoff_from else None,
    }
