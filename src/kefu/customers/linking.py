"""Which customer a chat is with: agents link a visitor to an archive entry, or the shop's
own site vouches for its logged-in user with a signed id passed through the widget.

A link lives on the Visitor, so every conversation of that visitor shows the customer.
The site's signature is HMAC-SHA256(key=shop.identity_secret, msg=site user id), hex; the
widget page checks it once and hands the chat a token signed by kefu, so the socket only
ever reads a value kefu itself vouched for. A missing or wrong signature is ignored.
"""

from __future__ import annotations

import hashlib
import hmac

from django.core import signing
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from kefu.chat import services as chat_services
from kefu.chat.models import Conversation, Visitor
from kefu.customers import archive
from kefu.customers.models import Customer, Platform
from kefu.errors import Forbidden, NotFound, ServiceError
from kefu.shops.models import Membership, Shop

MAX_SITE_ID_CHARS = 64
MIN_QUERY_CHARS = 2
MAX_QUERY_CHARS = 64
MAX_RESULTS = 10
IDENTITY_SALT = "kefu.site-customer"
IDENTITY_MAX_AGE = 24 * 3600  # seconds: each widget page load signs a fresh token
NICKNAME_CHARS = Visitor._meta.get_field("nickname").max_length


# --- agents linking by hand -----------------------------------------------------------------


def _conversation_for(actor: Membership, conversation_id: int) -> Conversation:
    """The conversation, if it is the actor's shop's; any member may open it in the workbench."""
    conv = (
        Conversation.objects.select_related("visitor", "assignee")
        .filter(id=conversation_id, shop_id=actor.shop_id)
        .first()
    )
    if conv is None:
        raise NotFound("no_conversation", _("找不到这个会话。"))
    return conv


def search_customers(*, actor: Membership, query: str) -> list[Customer]:
    """Up to ten customers of the shop by nickname, name, phone or order number
    (`archive.matching`: agents find names and phones only whole)."""
    q = (query or "").strip()
    if len(q) < MIN_QUERY_CHARS:
        raise ServiceError("short_query", _("请至少输入 %(n)d 个字。") % {"n": MIN_QUERY_CHARS})
    if len(q) > MAX_QUERY_CHARS:
        raise ServiceError("long_query", _("搜索内容最多 %(n)d 个字。") % {"n": MAX_QUERY_CHARS})
    return list(
        Customer.objects.filter(shop_id=actor.shop_id)
        .filter(archive.matching(actor, q))
        .order_by("-last_order_at", "-id")[:MAX_RESULTS]
    )


@transaction.atomic
def link_visitor(*, actor: Membership, conversation_id: int, customer_id: int) -> Conversation:
    """The conversation's visitor is this customer (from now on, in every conversation)."""
    conv = _conversation_for(actor, conversation_id)
    customer = archive.get_customer_for(actor=actor, customer_id=customer_id)
    _attach(conv, customer)
    return conv


@transaction.atomic
def unlink_visitor(*, actor: Membership, conversation_id: int) -> Conversation:
    """Forget which customer the conversation's visitor is (a wrong link)."""
    conv = _conversation_for(actor, conversation_id)
    _attach(conv, None)
    return conv


@transaction.atomic
def create_and_link(
    *, actor: Membership, conversation_id: int, nickname: str, name: str = ""
) -> Conversation:
    """A new archive entry for a customer of the shop's own site, linked to the chat."""
    conv = _conversation_for(actor, conversation_id)
    nickname = (nickname or "").strip()
    name = (name or "").strip()
    if not nickname:
        raise ServiceError("empty", _("请填写客户的账号或昵称。"))
    if len(nickname) > Customer._meta.get_field("nickname").max_length:
        raise ServiceError("too_long", _("账号最多 %(n)d 个字。") % {"n": 100})
    if name and not archive.can_see_personal_data(actor):
        raise Forbidden("personal_data", _("客服不能填写客户的个人信息，请联系主管。"))
    if len(name) > Customer._meta.get_field("name").max_length:
        raise ServiceError("too_long", _("姓名最多 %(n)d 个字。") % {"n": 60})
    try:
        with transaction.atomic():
            customer = Customer.objects.create(
                shop_id=actor.shop_id, platform=Platform.SITE, nickname=nickname, name=name
            )
    except IntegrityError:
        raise ServiceError(
            "exists", _("已有账号为“%(n)s”的客户档案，请搜索后关联。") % {"n": nickname}
        ) from None
    _attach(conv, customer)
    return conv


# --- the shop site vouching for its user ----------------------------------------------------


def site_signature(*, secret: str, site_customer_id: str) -> str:
    """What the shop's server writes into data-customer-sig for this user."""
    return hmac.new(secret.encode(), site_customer_id.encode(), hashlib.sha256).hexdigest()


def identity_token(*, shop: Shop, site_customer_id: str, signature: str, name: str = "") -> str:
    """A kefu-signed token for a correctly signed site user id, or "" (never trusted then)."""
    site_id = (site_customer_id or "").strip()
    if not site_id or len(site_id) > MAX_SITE_ID_CHARS or not signature:
        return ""
    expected = site_signature(secret=shop.identity_secret, site_customer_id=site_id)
    if not hmac.compare_digest(expected, signature.strip().lower()):
        return ""
    name = (name or "").strip()[: Customer._meta.get_field("name").max_length]
    payload = {"s": shop.id, "k": _secret_tag(shop.identity_secret), "c": site_id, "n": name}
    return signing.dumps(payload, salt=IDENTITY_SALT)


def _secret_tag(secret: str) -> str:
    """Which identity secret vouched: replacing the secret ends the tokens it vouched for."""
    return hashlib.sha256(secret.encode()).hexdigest()[:16]


def _attach(conv: Conversation, customer: Customer | None) -> None:
    """The visitor is `customer` (or nobody): the workbench list and {客户} then call them by
    the customer's account name, and every open workbench hears of it after commit."""
    visitor = conv.visitor
    visitor.customer = customer
    visitor.nickname = (
        customer.nickname[:NICKNAME_CHARS]
        if customer
        else f"访客{visitor.public_id.hex[:4].upper()}"
    )
    Visitor.objects.filter(id=visitor.id, shop_id=conv.shop_id).update(
        customer=customer, nickname=visitor.nickname
    )
    chat_services.publish_on_commit([chat_services.summary_event(conv, conv.assignee_id)])


def link_signed_visitor(*, shop_id: int, visitor_id: int, identity: str) -> int | None:
    """Link the visitor to the site customer a token from `identity_token` names; the
    customer is created on first sight. Returns the customer id, or None for a bad token."""
    try:
        data = signing.loads(identity, salt=IDENTITY_SALT, max_age=IDENTITY_MAX_AGE)
    except signing.BadSignature:  # forged, or older than a day (the page makes a fresh one)
        return None
    if not isinstance(data, dict) or data.get("s") != shop_id:
        return None
    secret = Shop.objects.filter(id=shop_id).values_list("identity_secret", flat=True).first()
    if secret is None or data.get("k") != _secret_tag(secret):
        return None
    site_id, name = str(data.get("c") or ""), str(data.get("n") or "")
    if not site_id or len(site_id) > MAX_SITE_ID_CHARS:
        return None
    with transaction.atomic():
        customer_id = (
            Customer.objects.filter(shop_id=shop_id, platform=Platform.SITE, nickname=site_id)
            .values_list("id", flat=True)
            .first()
        )
        if customer_id is None:
            customer_id = _create_site_customer(shop_id, site_id, name)
        Visitor.objects.filter(id=visitor_id, shop_id=shop_id).exclude(
            customer_id=customer_id
        ).update(customer_id=customer_id, nickname=site_id[:NICKNAME_CHARS])
    return customer_id


def _create_site_customer(shop_id: int, site_id: str, name: str) -> int:
    try:
        with transaction.atomic():
            return Customer.objects.create(
                shop_id=shop_id, platform=Platform.SITE, nickname=site_id, name=name
            ).id
    except IntegrityError:  # the same user's other tab created it a moment ago
        return Customer.objects.get(shop_id=shop_id, platform=Platform.SITE, nickname=site_id).id
