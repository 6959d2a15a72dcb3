"""POST /api/orders: a shop's own site pushes its orders.

For now the site authenticates as the shop owner's (or a supervisor's) session, with
the CSRF token like every other write; a per-shop API key comes later.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, JsonResponse
from django.utils.translation import gettext as _
from ninja import Router, Schema

from kefu.orders import pushing
from kefu.shops import services as shop_services

router = Router(tags=["orders"])


class PushIn(Schema):
    platform: str = "site"
    # Each order: order_no, status, amount (required); buyer, created_at, paid_at, title,
    # receiver_name, receiver_phone, receiver_address, refund_amount (optional).
    orders: list[dict[str, Any]]


@router.post("/orders")
def push_orders(request: HttpRequest, data: PushIn) -> Any:
    actor = shop_services.get_member_for(user=request.user)
    record = pushing.push_orders(actor=actor, orders=data.orders, platform=data.platform)
    body = {
        "import": record.id,
        "rows": record.rows,
        "created": record.created,
        "updated": record.updated,
        "errors": record.errors,
    }
    if record.bad_rows:
        message = _("有订单格式不对，这一批都没有导入。")
        return JsonResponse({**body, "error": {"code": "bad_rows", "message": message}}, status=400)
    return body
