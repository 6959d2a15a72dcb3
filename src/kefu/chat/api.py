"""JSON API for the workbench's actions and the widget's image upload (docs/protocol.md)."""

from __future__ import annotations

import time
import uuid
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import File, Form, NinjaAPI, Schema
from ninja.files import UploadedFile
from ninja.security import django_auth

from kefu.chat import images, wire
from kefu.chat import services as chat_services
from kefu.coach.api import router as coach_router
from kefu.customers.api import router as customers_router
from kefu.errors import ServiceError
from kefu.playbook import services as playbook_services
from kefu.shops import services as shop_services

# Session auth for agents; django_auth also enforces the CSRF token on every write.
api = NinjaAPI(title="kefu", version="1", urls_namespace="api", auth=django_auth)


api.add_router("/", coach_router)
api.add_router("/", customers_router)


@api.exception_handler(ServiceError)
def service_error(request: HttpRequest, exc: ServiceError):  # type: ignore[no-untyped-def]
    return api.create_response(
        request, {"error": {"code": exc.code, "message": exc.message}}, status=exc.status
    )


def _actor(request: HttpRequest):  # type: ignore[no-untyped-def]
    return shop_services.get_member_for(user=request.user)


class TransferIn(Schema):
    to_member: int
    note: str = ""


@api.post("/conversations/{conversation_id}/claim")
def claim(request: HttpRequest, conversation_id: int) -> dict[str, Any]:
    conv = chat_services.claim_conversation(actor=_actor(request), conversation_id=conversation_id)
    return {"conversation": wire.conversation_dict(conv)}


@api.post("/conversations/{conversation_id}/transfer")
def transfer(request: HttpRequest, conversation_id: int, data: TransferIn) -> dict[str, Any]:
    conv = chat_services.transfer_conversation(
        actor=_actor(request), conversation_id=conversation_id,
        to_member_id=data.to_member, note=data.note,
    )
    return {"conversation": wire.conversation_dict(conv)}


@api.post("/conversations/{conversation_id}/close")
def close(request: HttpRequest, conversation_id: int) -> dict[str, Any]:
    conv = chat_services.close_conversation(actor=_actor(request), conversation_id=conversation_id)
    return {"conversation": wire.conversation_dict(conv)}


@api.get("/conversations")
def conversations(request: HttpRequest) -> dict[str, Any]:
    convs = chat_services.conversations_for(actor=_actor(request))
    return {"conversations": [wire.conversation_dict(c) for c in convs]}


@api.get("/members")
def members(request: HttpRequest) -> dict[str, Any]:
    actor = _actor(request)
    online = set(shop_services.online_members(actor.shop_id).values_list("id", flat=True))
    return {"members": [
        {"id": m.id, "name": m.display_name, "role": m.role, "online": m.id in online,
         "open_chats": m.open_chats, "capacity": m.effective_capacity, "active": m.is_active}
        for m in shop_services.list_members(actor=actor)
    ]}


@api.get("/quick-replies")
def quick_replies(
    request: HttpRequest, q: str = "", conversation: int | None = None
) -> dict[str, Any]:
    actor = _actor(request)
    customer = ""
    if conversation is not None:
        conv = chat_services.get_conversation_for(actor=actor, conversation_id=conversation)
        customer = wire.visitor_label(conv.visitor_id, conv.visitor.nickname)
    replies = playbook_services.list_quick_replies(actor=actor, query=q)
    return {"quick_replies": [
        {"id": r.id, "keyword": r.keyword, "template": r.text,
         "text": playbook_services.fill_variables(
             r.text, customer=customer or "亲", agent=actor.display_name, shop=actor.shop.name)}
        for r in replies
    ]}


@api.post("/visitor/upload", auth=None)
def visitor_upload(
    request: HttpRequest, key: Form[str], token: Form[str], client_id: Form[str],
    image: File[UploadedFile],
) -> dict[str, Any]:
    shop = chat_services.get_shop_by_key(key)
    visitor = chat_services.visitor_pass_for(shop=shop, token=token).visitor
    if visitor is None:
        # Only someone who has already written may send files: a fresh token costs
        # nothing, so it must not buy 5 MB of disk and a new conversation each time.
        raise ServiceError("say_hello_first", _("请先发一句文字消息，再发送图片哦～"))
    client_id = chat_services.clean_client_id(client_id)
    chat_services.check_visitor_rate(visitor.public_id.int, time.monotonic())
    existing = chat_services.stored_copy(visitor=visitor, client_id=client_id)
    if existing is not None:  # a retried upload: the image is stored already
        return {"message": wire.for_visitor(existing)}
    path = images.save_image(image, name=f"chat/{shop.id}/{uuid.uuid4().hex}")
    (stored,), events = chat_services.store_messages([chat_services.Outgoing(
        shop_id=shop.id, visitor_id=visitor.id, client_id=client_id, text="", image=path,
    )])
    if stored.error is not None:
        raise stored.error
    from kefu.realtime import hub

    hub.publish_from_sync(events)  # store_messages has committed
    return {"message": wire.for_visitor(stored.message)}


api.add_router("/coach/retrain", "kefu.coach.api_retrain.retrain_router")
api.add_router("/", "kefu.orders.api.router")
