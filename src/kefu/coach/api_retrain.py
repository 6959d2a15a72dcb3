"""GET/POST /api/coach/retrain: the shop's retraining state, and starting a run (owners)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router

from kefu.coach import retrain
from kefu.shops import services as shop_services

retrain_router = Router(tags=["coach"])


@retrain_router.get("")
def retrain_state(request: HttpRequest) -> dict[str, Any]:
    """Any member may look; the figures say nothing about customers."""
    member = shop_services.get_member_for(user=request.user)
    return retrain.status(member.shop)


@retrain_router.post("")
def retrain_start(request: HttpRequest) -> dict[str, Any]:
    """Owners start a run in the background (409 while one is running)."""
    member = shop_services.get_member_for(user=request.user)
    retrain.start_retrain(actor=member, shop=member.shop)
    return retrain.status(member.shop)
