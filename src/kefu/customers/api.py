"""JSON API of the customer archive for the workbench (docs/protocol.md, "Customer panel").

Thin: parse, call kefu.customers.{panel,linking,archive}, answer. Mounted on the desk's
NinjaAPI, so session auth and the CSRF check on writes apply; a ServiceError becomes
{"error": {"code", "message"}} with its status.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Body, Router, Schema

from kefu.customers import archive, linking, panel
from kefu.customers import services as customer_services
from kefu.customers.panel import customer_panel
from kefu.customers.rules import money
from kefu.errors import ServiceError
from kefu.shops import services as shop_services

router = Router(tags=["customers"])


def _actor(request: HttpRequest):  # type: ignore[no-untyped-def]
    return shop_services.get_member_for(user=request.user)


class LinkIn(Schema):
    customer_id: int


class NewCustomerIn(Schema):
    nickname: str
    name: str = ""


class NoteIn(Schema):
    text: str


class TagIn(Schema):
    name: str


@router.get("/conversations/{conversation_id}/customer")
def conversation_customer(request: HttpRequest, conversation_id: int) -> dict[str, Any]:
    return customer_panel(actor=_actor(request), conversation_id=conversation_id)


@router.post("/conversations/{conversation_id}/customer")
def link(request: HttpRequest, conversation_id: int, data: LinkIn) -> dict[str, Any]:
    actor = _actor(request)
    linking.link_visitor(actor=actor, conversation_id=conversation_id, customer_id=data.customer_id)
    return customer_panel(actor=actor, conversation_id=conversation_id)


@router.delete("/conversations/{conversation_id}/customer")
def unlink(request: HttpRequest, conversation_id: int) -> dict[str, Any]:
    actor = _actor(request)
    linking.unlink_visitor(actor=actor, conversation_id=conversation_id)
    return customer_panel(actor=actor, conversation_id=conversation_id)


@router.post("/conversations/{conversation_id}/customer/new")
def create_and_link(
    request: HttpRequest, conversation_id: int, data: NewCustomerIn
) -> dict[str, Any]:
    actor = _actor(request)
    linking.create_and_link(
        actor=actor, conversation_id=conversation_id, nickname=data.nickname, name=data.name
    )
    return customer_panel(actor=actor, conversation_id=conversation_id)


@router.get("/customers/search")
def search(request: HttpRequest, q: str = "") -> dict[str, Any]:
    actor = _actor(request)
    found = linking.search_customers(actor=actor, query=q)
    return {"customers": [
        {**panel.customer_dict(c, actor), "spend_text": money(c.seg_spend)} for c in found
    ]}


@router.patch("/customers/{customer_id}")
def update(
    request: HttpRequest, customer_id: int, data: dict[str, Any] = Body(...)  # noqa: B008
) -> dict[str, Any]:
    actor = _actor(request)
    if not isinstance(data, dict) or not data:
        raise ServiceError("no_changes", _("没有要保存的修改。"))
    customer = archive.update_customer(actor=actor, customer_id=customer_id, changes=data)
    return {"customer": panel.customer_dict(customer, actor)}


@router.post("/customers/{customer_id}/notes")
def add_note(request: HttpRequest, customer_id: int, data: NoteIn) -> dict[str, Any]:
    actor = _actor(request)
    note = archive.add_note(actor=actor, customer_id=customer_id, text=data.text)
    return {"note": panel.note_dict(note, actor)}


@router.delete("/customers/{customer_id}/notes/{note_id}")
def delete_note(request: HttpRequest, customer_id: int, note_id: int) -> dict[str, Any]:
    archive.delete_note(actor=_actor(request), customer_id=customer_id, note_id=note_id)
    return {"deleted": note_id}


@router.post("/customers/{customer_id}/buying/confirm")
def confirm_buying(request: HttpRequest, customer_id: int) -> dict[str, Any]:
    """Take the buying behaviour the data suggests as the customer's own."""
    actor = _actor(request)
    customer = customer_services.confirm_buying_suggestion(actor=actor, customer_id=customer_id)
    return {"customer": panel.customer_dict(customer, actor)}


@router.post("/customers/{customer_id}/tags")
def add_tag(request: HttpRequest, customer_id: int, data: TagIn) -> dict[str, Any]:
    actor = _actor(request)
    archive.add_tag(actor=actor, customer_id=customer_id, name=data.name)
    return {"tags": panel.tags_of(actor=actor, customer_id=customer_id)}


@router.delete("/customers/{customer_id}/tags/{name}")
def remove_tag(request: HttpRequest, customer_id: int, name: str) -> dict[str, Any]:
    actor = _actor(request)
    archive.remove_tag(actor=actor, customer_id=customer_id, name=name)
    return {"tags": panel.tags_of(actor=actor, customer_id=customer_id)}

