"""The coach's JSON API for the workbench (docs/coach-desk.md, "HTTP"). Thin: rules are
in kefu.coach.services. Mounted on the desk's NinjaAPI (session auth + CSRF)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema

from kefu.coach import services
from kefu.shops import services as shop_services

router = Router(tags=["coach"])


def _actor(request: HttpRequest):  # type: ignore[no-untyped-def]
    return shop_services.get_member_for(user=request.user)


class CheckIn(Schema):
    text: str
    conversation: int | None = None


class OfferIn(Schema):
    product: int
    rounds: list[str] = []
    customer_type: str = "normal"


class CorrectIn(Schema):
    field: str
    value: str


@router.post("/coach/check")
def check(request: HttpRequest, data: CheckIn) -> dict[str, Any]:
    return services.check_draft(actor=_actor(request), text=data.text)


@router.get("/conversations/{conversation_id}/coach")
def panel(request: HttpRequest, conversation_id: int, product: int | None = None) -> dict[str, Any]:
    return services.coach_panel(
        actor=_actor(request), conversation_id=conversation_id, product_id=product
    )


@router.post("/coach/offer")
def offer(request: HttpRequest, data: OfferIn) -> dict[str, Any]:
    return services.offer_for(
        actor=_actor(request),
        product_id=data.product,
        rounds=data.rounds,
        customer_type=data.customer_type,
    )


@router.post("/messages/{message_id}/correct")
def correct(request: HttpRequest, message_id: int, data: CorrectIn) -> dict[str, Any]:
    return services.correct_label(
        actor=_actor(request), message_id=message_id, field=data.field, value=data.value
    )
