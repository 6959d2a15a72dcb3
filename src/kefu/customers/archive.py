"""Reading and editing the customer archive: every rule about who sees and changes what.

Personal data (name, phone, address, birthday) is shown whole to owners and
supervisors only; agents see it masked (张*, 138****5678) and cannot change it. Every
lookup is scoped to the actor's shop.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from kefu.customers.models import TYPE_FIELDS, Customer, CustomerNote, CustomerTag
from kefu.errors import Forbidden, NotFound, ServiceError
from kefu.orders.models import Order
from kefu.shops.models import Membership, Role

PERSONAL_FIELDS = ("name", "phone", "address", "birthday")
EDITABLE_FIELDS = frozenset({*PERSONAL_FIELDS, *TYPE_FIELDS})
MAX_NOTE_CHARS = 1000
MAX_TAG_CHARS = 20
MAX_TAGS = 30
# Tags that mark loyalty beyond buying again (shown as loyalty signals with repeat purchases).
LOYALTY_TAGS = ("提过建议", "推荐过朋友", "拒绝竞品", "关注新品")


def can_see_personal_data(actor: Membership) -> bool:
    """Owners and supervisors see buyers' names, phones and addresses; agents see them masked."""
    return actor.role in (Role.OWNER, Role.SUPERVISOR)


def mask_name(name: str) -> str:
    return name[:1] + "*" * min(len(name) - 1, 3) if name else ""


def mask_phone(phone: str) -> str:
    digits = phone.strip()
    if len(digits) >= 7:
        return digits[:3] + "****" + digits[-4:]
    return "*" * len(digits)


def mask_address(address: str) -> str:
    # Keep the province/city part a colleague may need ("浙江省杭州市…"), hide the rest.
    return address[:6] + "****" if len(address) > 6 else ("****" if address else "")


def personal_data(customer: Customer, actor: Membership) -> dict[str, str]:
    """Name, phone, address and birthday as this actor may see them."""
    birthday = customer.birthday.isoformat() if customer.birthday else ""
    if can_see_personal_data(actor):
        return {
            "name": customer.name,
            "phone": customer.phone,
            "address": customer.address,
            "birthday": birthday,
        }
    return {
        "name": mask_name(customer.name),
        "phone": mask_phone(customer.phone),
        "address": mask_address(customer.address),
        "birthday": birthday[5:] if birthday else "",  # month and day: enough for a greeting
    }


def matching(actor: Membership, q: str) -> Q:
    """Customers a search text finds, as the actor may search.

    Nicknames match on any part, order numbers whole. Owners and supervisors find names
    and phones by any part; agents, who see them masked, only by the whole value, so
    searching letter by letter cannot reveal what they are not allowed to read.
    """
    by_order = Order.objects.filter(
        shop_id=actor.shop_id, order_no=q, customer__isnull=False
    ).values("customer_id")
    if can_see_personal_data(actor):
        personal = Q(name__icontains=q) | Q(phone__contains=q)
    else:
        personal = Q(name=q) | Q(phone=q)
    return Q(nickname__icontains=q) | personal | Q(id__in=by_order)


def get_customer_for(*, actor: Membership, customer_id: int) -> Customer:
    """The customer, if they belong to the actor's shop."""
    customer = Customer.objects.filter(shop_id=actor.shop_id, id=customer_id).first()
    if customer is None:
        raise NotFound("no_customer", _("没有找到这位客户。"))
    return customer


@transaction.atomic
def update_customer(*, actor: Membership, customer_id: int, changes: Mapping[str, Any]) -> Customer:
    """Change profile fields and types; all of them or none."""
    unknown = set(changes) - EDITABLE_FIELDS
    if unknown:
        raise ServiceError(
            "bad_field", _("不能修改这些字段：%(f)s。") % {"f": ", ".join(sorted(unknown))}
        )
    if set(changes) & set(PERSONAL_FIELDS) and not can_see_personal_data(actor):
        raise Forbidden("personal_data", _("客服不能修改客户的个人信息，请联系店主或主管。"))
    customer = (
        Customer.objects.select_for_update().filter(shop_id=actor.shop_id, id=customer_id).first()
    )
    if customer is None:
        raise NotFound("no_customer", _("没有找到这位客户。"))
    for field, raw in changes.items():
        setattr(customer, field, _clean(field, raw))
    customer.save(update_fields=[*changes, "updated_at"])
    return customer


def _clean(field: str, raw: Any) -> Any:
    value = "" if raw is None else raw
    if field == "birthday":
        if value in ("", None):
            return None
        if isinstance(value, dt.date):
            return value
        try:
            return dt.date.fromisoformat(str(value))
        except ValueError as exc:
            raise ServiceError("bad_birthday", _("生日请写成 1990-05-20 这样的日期。")) from exc
    value = str(value).strip()
    if field in TYPE_FIELDS:
        if value and value not in TYPE_FIELDS[field].values:
            raise ServiceError("bad_type", _("不认识的客户类型：%(v)s。") % {"v": value})
        return value
    limit = Customer._meta.get_field(field).max_length
    if limit and len(value) > limit:
        raise ServiceError(
            "too_long",
            _("%(field)s 最多 %(n)d 个字。")
            % {"field": Customer._meta.get_field(field).verbose_name, "n": limit},
        )
    return value


@transaction.atomic
def add_note(*, actor: Membership, customer_id: int, text: str) -> CustomerNote:
    """A note on the customer, signed by the actor."""
    customer = get_customer_for(actor=actor, customer_id=customer_id)
    text = (text or "").strip()
    if not text:
        raise ServiceError("empty", _("备注不能为空。"))
    if len(text) > MAX_NOTE_CHARS:
        raise ServiceError("too_long", _("备注最多 %(n)d 个字。") % {"n": MAX_NOTE_CHARS})
    return CustomerNote.objects.create(
        shop_id=actor.shop_id, customer=customer, author=actor, text=text
    )


def may_delete_note(actor: Membership, note: CustomerNote) -> bool:
    """Authors delete their own notes; owners and supervisors any note of the shop."""
    return note.author_id == actor.id or can_see_personal_data(actor)


def note_author(note: CustomerNote) -> str:
    """Who wrote the note, as colleagues see it (select the author with the note)."""
    return note.author.display_name if note.author else _("已离开的成员")


@transaction.atomic
def delete_note(*, actor: Membership, customer_id: int, note_id: int) -> None:
    """Delete a note of this customer (authors their own, owners and supervisors any)."""
    note = CustomerNote.objects.filter(
        shop_id=actor.shop_id, customer_id=customer_id, id=note_id
    ).first()
    if note is None:
        raise NotFound("no_note", _("没有找到这条备注。"))
    if not may_delete_note(actor, note):
        raise Forbidden("not_author", _("只能删除自己写的备注。"))
    note.delete()


@transaction.atomic
def add_tag(*, actor: Membership, customer_id: int, name: str) -> CustomerTag:
    """Put a tag on the customer (adding one they have is not an error)."""
    customer = get_customer_for(actor=actor, customer_id=customer_id)
    name = (name or "").strip()
    if not name:
        raise ServiceError("empty", _("标签不能为空。"))
    if len(name) > MAX_TAG_CHARS:
        raise ServiceError("too_long", _("标签最多 %(n)d 个字。") % {"n": MAX_TAG_CHARS})
    tag = CustomerTag.objects.filter(customer=customer, name=name).first()
    if tag is not None:
        return tag
    if CustomerTag.objects.filter(customer=customer).count() >= MAX_TAGS:
        raise ServiceError("too_many", _("一位客户最多 %(n)d 个标签。") % {"n": MAX_TAGS})
    return CustomerTag.objects.create(shop_id=actor.shop_id, customer=customer, name=name)


@transaction.atomic
def remove_tag(*, actor: Membership, customer_id: int, name: str) -> None:
    customer = get_customer_for(actor=actor, customer_id=customer_id)
    CustomerTag.objects.filter(customer=customer, name=(name or "").strip()).delete()
