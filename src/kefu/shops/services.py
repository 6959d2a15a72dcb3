"""Shops and their members: every rule about who may do what in a shop lives here."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kefu.errors import Forbidden, NotFound, ServiceError
from kefu.shops.models import Membership, Role, Shop

ONLINE_WINDOW = dt.timedelta(seconds=45)  # three missed heartbeats (every 15 s)
SETTINGS_FIELDS = frozenset({
    "name", "hours_start", "hours_end", "open_days", "welcome_message", "away_message",
    "busy_message", "announcement", "default_capacity",
    "no_bargain", "free_shipping_threshold", "faq_mode", "faq_threshold",
})


def get_member_for(*, user: Any) -> Membership:
    """The user's active seat in a shop (kefu gives each login one shop)."""
    if not getattr(user, "is_authenticated", False):
        raise Forbidden("not_member", _("请先登录。"))
    member = (
        Membership.objects.select_related("shop", "user")
        .filter(user=user, is_active=True)
        .order_by("id")
        .first()
    )
    if member is None:
        raise Forbidden("not_member", _("这个账号还没有加入任何店铺。"))
    return member


def require_role(actor: Membership, *roles: str) -> None:
    if actor.role not in roles:
        raise Forbidden("role", _("您的角色没有这个权限，请联系店主。"))


@transaction.atomic
def create_shop(
    *, name: str, slug: str, owner_username: str, owner_password: str,
    owner_display_name: str = "", **settings: Any,
) -> Shop:
    """A new shop with its owner's login."""
    if Shop.objects.filter(slug=slug).exists():
        raise ServiceError("slug_taken", _("店铺标识 %(slug)s 已被使用。") % {"slug": slug})
    unknown = set(settings) - SETTINGS_FIELDS
    if unknown:
        raise ServiceError("bad_field", f"unknown shop settings: {sorted(unknown)}")
    shop = Shop.objects.create(name=name, slug=slug, **settings)
    _create_seat(
        shop=shop, username=owner_username, password=owner_password,
        display_name=owner_display_name or name, role=Role.OWNER, capacity=None,
    )
    return shop


def _create_seat(
    *, shop: Shop, username: str, password: str, display_name: str, role: str,
    capacity: int | None,
) -> Membership:
    user_model = get_user_model()
    if role not in Role.values:
        raise ServiceError("bad_role", _("未知角色。"))
    if not username or len(username) > 150:
        raise ServiceError("bad_username", _("请填写登录名（不超过150个字符）。"))
    if user_model.objects.filter(username=username).exists():
        raise ServiceError("username_taken", _("登录名 %(u)s 已被使用。") % {"u": username})
    try:
        validate_password(password)
    except ValidationError as exc:
        raise ServiceError("weak_password", " ".join(exc.messages)) from exc
    user = user_model.objects.create_user(username=username, password=password)
    return Membership.objects.create(
        shop=shop, user=user, role=role, display_name=display_name or username,
        capacity=capacity,
    )


@transaction.atomic
def create_member(
    *, actor: Membership, username: str, password: str, display_name: str,
    role: str = Role.AGENT, capacity: int | None = None,
) -> Membership:
    """Add a colleague to the actor's shop (owners only)."""
    require_role(actor, Role.OWNER)
    return _create_seat(
        shop=actor.shop, username=username, password=password, display_name=display_name,
        role=role, capacity=capacity,
    )


def list_members(*, actor: Membership) -> list[Membership]:
    """Everyone in the actor's shop, with how many open chats each holds."""
    from django.db.models import Count, Q

    return list(
        Membership.objects.filter(shop_id=actor.shop_id)
        .select_related("user", "shop")
        .annotate(open_chats=Count("conversations", filter=Q(conversations__status="open")))
        .order_by("role", "display_name")
    )


def get_member(*, actor: Membership, member_id: int) -> Membership:
    try:
        return Membership.objects.select_related("shop", "user").get(
            id=member_id, shop_id=actor.shop_id
        )
    except Membership.DoesNotExist:
        raise NotFound("no_member", _("找不到这位同事。")) from None


@transaction.atomic
def update_member(
    *, actor: Membership, member_id: int, role: str | None = None,
    capacity: int | None = None, display_name: str | None = None,
    is_active: bool | None = None,
) -> Membership:
    """Change a colleague's role, capacity, name or whether they may log in (owners only)."""
    require_role(actor, Role.OWNER)
    member = get_member(actor=actor, member_id=member_id)
    fields: list[str] = []
    if role is not None:
        if role not in Role.values:
            raise ServiceError("bad_role", _("未知角色。"))
        if member.id == actor.id and role != Role.OWNER:
            raise ServiceError("last_owner", _("不能取消自己的店主身份。"))
        member.role = role
        fields.append("role")
    if capacity is not None:
        if not 0 <= capacity <= 500:
            raise ServiceError("bad_capacity", _("接待上限应在 0 到 500 之间。"))
        member.capacity = capacity
        fields.append("capacity")
    if display_name is not None:
        if not display_name.strip():
            raise ServiceError("bad_name", _("请填写客服昵称。"))
        member.display_name = display_name.strip()[:40]
        fields.append("display_name")
    if is_active is not None:
        if member.id == actor.id and not is_active:
            raise ServiceError("self_disable", _("不能停用自己的账号。"))
        member.is_active = is_active
        fields.append("is_active")
    if fields:
        member.save(update_fields=fields)
    if is_active is False:
        from kefu.chat import services as chat_services  # chat builds on shops, not back

        chat_services.release_conversations_of(member_id=member.id)
    return member


@transaction.atomic
def update_shop_settings(*, actor: Membership, **fields: Any) -> Shop:
    """Change the shop's name, hours, auto-replies, announcement or default capacity."""
    require_role(actor, Role.OWNER)
    unknown = set(fields) - SETTINGS_FIELDS
    if unknown:
        raise ServiceError("bad_field", f"unknown shop settings: {sorted(unknown)}")
    shop = Shop.objects.select_for_update().get(id=actor.shop_id)
    if "name" in fields and not str(fields["name"]).strip():
        raise ServiceError("bad_name", _("请填写店铺名称。"))
    for name in ("welcome_message", "away_message", "busy_message", "announcement", "name"):
        limit = Shop._meta.get_field(name).max_length
        if name in fields and limit and len(str(fields[name] or "")) > limit:
            raise ServiceError("too_long", _("内容太长了（不超过%(n)d字）。") % {"n": limit})
    if "faq_threshold" in fields and not 0 <= float(fields["faq_threshold"]) <= 1:
        raise ServiceError("bad_threshold", _("匹配度门槛应在 0 到 1 之间。"))
    if fields.get("free_shipping_threshold") is not None and fields["free_shipping_threshold"] < 0:
        raise ServiceError("bad_free_shipping", _("包邮门槛不能小于 0。"))
    if "open_days" in fields:
        days = "".join(sorted(set(str(fields["open_days"]))))
        if any(d not in "0123456" for d in days):
            raise ServiceError("bad_days", _("营业日只能是周一到周日。"))
        fields["open_days"] = days
    for name, value in fields.items():
        setattr(shop, name, value)
    try:
        shop.full_clean(exclude=["slug", "public_key"])
    except ValidationError as exc:
        raise ServiceError("invalid", "；".join(exc.messages)) from exc
    shop.save(update_fields=sorted(fields))
    return shop


def is_open_now(shop: Shop, now: dt.datetime | None = None) -> bool:
    """Whether the shop is inside its business hours (shop-local time)."""
    local = timezone.localtime(now or timezone.now())
    if str(local.weekday()) not in shop.open_days:
        return False
    start, end = shop.hours_start, shop.hours_end
    if isinstance(start, str):  # a fresh instance before a reload holds strings
        start, end = dt.time.fromisoformat(start), dt.time.fromisoformat(end)
    t = local.time()
    if start == end:
        return True  # the same start and end means open around the clock
    if start < end:
        return start <= t < end
    return t >= start or t < end  # hours across midnight, e.g. 20:00-02:00


def online_members(shop_id: int, now: dt.datetime | None = None):  # -> QuerySet[Membership]
    """Members with a workbench open right now."""
    now = now or timezone.now()
    return Membership.objects.filter(
        shop_id=shop_id, is_active=True, online_sockets__gt=0,
        last_seen_at__gte=now - ONLINE_WINDOW,
    )
