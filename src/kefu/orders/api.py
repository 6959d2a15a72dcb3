"""POST /api/orders: a shop's own site pushes its orders.

The shop's server sends `Authorization: Bearer <API key>` (issued by the owner on the
settings page; the request acts as the owner). A logged-in owner or supervisor may also
push from the browser with their session and the CSRF token, like every other write.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, JsonResponse
from django.utils.translation import gettext as _
from ninja import Router, Schema
from ninja.security import HttpBearer, django_auth

from kefu.errors import Forbidden
from kefu.orders import pushing
from kefu.shops import api_keys
from kefu.shops import services as shop_services
from kefu.shops.models import Membership


class ShopApiKey(HttpBearer):
    """The shop site's API key: the request acts as the shop's owner."""

    def authenticate(self, request: HttpRequest, token: str) -> Membership | None:
        try:
            return api_keys.owner_for_api_key(token)
        except Forbidden:
            return None  # ninja then tries the session, and answers 401 if that fails too


router = Router(tags=["orders"])


class PushIn(Schema):
    platform: str = "site"
    # Each order: order_no, status, amount (required); buyer, created_at, paid_at, title,
    # receiver_name, receiver_phone, receiver_address, refund_amount (optional).
    orders: list[dict[str, Any]]


@router.post("/orders", auth=[ShopApiKey(), django_auth])
def push_orders(request: HttpRequest, data: PushIn) -> Any:
    if isinstance(request.auth, Membership):  # type: ignore[attr-defined]
        actor = request.auth  # type: ignore[attr-defined]
    else:
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
