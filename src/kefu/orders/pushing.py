"""Orders pushed by a shop's own site as JSON: read like file rows, stored all or none."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kefu.customers.models import Platform
from kefu.errors import ServiceError, TooLarge
from kefu.orders.importing import IMPORTERS
from kefu.orders.models import OrderImport
from kefu.orders.order_rows import OrderDraft, RowError, parse_order
from kefu.orders.resegmenting import resegment_after_push
from kefu.orders.storing import merge_repeated_orders, staged_orders
from kefu.shops.models import Membership
from kefu.shops.services import require_role

MAX_PUSHED_ORDERS = 1000
PUSH_FIELDS = (
    "order_no",
    "buyer",
    "amount",
    "status",
    "created_at",
    "paid_at",
    "title",
    "receiver_name",
    "receiver_phone",
    "receiver_address",
    "refund_amount",
)


def push_orders(
    *,
    actor: Membership,
    orders: Sequence[Mapping[str, object]],
    platform: str = Platform.SITE,
) -> OrderImport:
    """Store the pushed orders (by order number: new ones added, known ones updated).

    Any bad order → nothing stored; the record lists each problem with the order's
    position (1 = the first). Pushing the same orders again changes nothing. Once stored,
    the shop's customer segments are recomputed.
    """
    require_role(actor, *IMPORTERS)
    if platform not in Platform.values:
        raise ServiceError("bad_platform", _("不认识的平台：%(p)s。") % {"p": platform})
    if not orders:
        raise ServiceError("empty", _("没有收到订单。"))
    if len(orders) > MAX_PUSHED_ORDERS:
        raise TooLarge(
            "too_many", _("一次最多推送 %(n)d 个订单，请分批发送。") % {"n": MAX_PUSHED_ORDERS}
        )
    labels = {field: field for field in PUSH_FIELDS}
    drafts: list[OrderDraft] = []
    errors: list[RowError] = []
    for position, order in enumerate(orders, start=1):
        values = {f: _text(order.get(f)) for f in PUSH_FIELDS}
        result = parse_order(values, row=position, labels=labels)
        if isinstance(result, list):
            errors.extend(result)
        else:
            drafts.append(result)
    record = OrderImport(
        shop_id=actor.shop_id,
        filename="api",
        platform=platform,
        rows=len(orders),
        bad_rows=len({e.row for e in errors}),
        errors=[{"row": e.row, "column": e.column, "reason": e.reason} for e in errors],
        state="failed" if errors else "done",
    )
    # Staged before the transaction, as file imports are: the lock lasts only the merge.
    with (
        staged_orders(
            shop_id=actor.shop_id,
            platform=platform,
            drafts=[] if errors else merge_repeated_orders(drafts),
        ) as staged,
        transaction.atomic(),
    ):
        if not errors:
            record.created, record.updated = staged.merge()
            resegment_after_push(shop_id=actor.shop_id)
        record.finished_at = timezone.now()
        record.save()
    return record


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):  # True is not an amount
        return "?"
    return str(value)
