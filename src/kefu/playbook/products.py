"""Products agents bargain over: the list price customers see and the floor only staff see."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils.translation import gettext as _

from kefu.errors import NotFound, ServiceError
from kefu.playbook.models import Product
from kefu.shops.models import Membership, Role
from kefu.shops.services import require_role

MAX_NAME_CHARS = 80
MAX_GIFT_CHARS = 60
MAX_PRICE = Decimal("99999999.99")  # the column holds ten digits, two after the point
MAX_PRODUCTS = 500
EDITORS = (Role.OWNER, Role.SUPERVISOR)
_CENT = Decimal("0.01")


def list_products(*, actor: Membership) -> list[Product]:
    """The actor's shop's products, by name. Staff only: each carries its floor price."""
    return list(Product.objects.filter(shop_id=actor.shop_id).order_by("name", "id"))


def get_product(*, actor: Membership, product_id: int) -> Product:
    try:
        return Product.objects.get(id=product_id, shop_id=actor.shop_id)
    except Product.DoesNotExist:
        raise NotFound("no_product", _("找不到这个商品。")) from None


def _price(value: Decimal | str | int, code: str, label: str) -> Decimal:
    try:
        price = Decimal(str(value).strip())
    except InvalidOperation:
        raise ServiceError(
            code, _("%(label)s要填数字，例如 199 或 89.90。") % {"label": label}
        ) from None
    if not price.is_finite() or price <= 0 or price > MAX_PRICE:
        raise ServiceError(code, _("%(label)s应大于 0 元。") % {"label": label})
    if price != price.quantize(_CENT):
        raise ServiceError(code, _("%(label)s最多精确到分。") % {"label": label})
    return price.quantize(_CENT)


def _clean(
    name: str, list_price: Decimal | str | int, floor_price: Decimal | str | int, gift: str
) -> tuple[str, Decimal, Decimal, str]:
    name, gift = name.strip(), gift.strip()
    if not name or len(name) > MAX_NAME_CHARS:
        raise ServiceError("bad_name", _("商品名称需为1到%(n)d个字。") % {"n": MAX_NAME_CHARS})
    listed = _price(list_price, "bad_list_price", _("标价"))
    floor = _price(floor_price, "bad_floor_price", _("最低价"))
    if floor > listed:
        raise ServiceError("bad_floor_price", _("最低价不能高于标价。"))
    if len(gift) > MAX_GIFT_CHARS:
        raise ServiceError("bad_gift", _("赠品不超过%(n)d个字。") % {"n": MAX_GIFT_CHARS})
    return name, listed, floor, gift


def _refuse_taken_name(shop_id: int, name: str, *, except_id: int | None) -> None:
    """Agents pick a product by its name, so two with one name could not be told apart."""
    if Product.objects.filter(shop_id=shop_id, name=name).exclude(id=except_id).exists():
        raise ServiceError("name_taken", _("商品“%(n)s”已经有了。") % {"n": name})


def create_product(
    *,
    actor: Membership,
    name: str,
    list_price: Decimal | str | int,
    floor_price: Decimal | str | int,
    gift: str = "",
) -> Product:
    """Add a product to bargain over (owners and supervisors)."""
    require_role(actor, *EDITORS)
    name, listed, floor, gift = _clean(name, list_price, floor_price, gift)
    with transaction.atomic():
        if Product.objects.filter(shop_id=actor.shop_id).count() >= MAX_PRODUCTS:
            raise ServiceError("too_many", _("每家店最多 %(n)d 个商品。") % {"n": MAX_PRODUCTS})
        _refuse_taken_name(actor.shop_id, name, except_id=None)
        return Product.objects.create(
            shop_id=actor.shop_id, name=name, list_price=listed, floor_price=floor, gift=gift
        )


def update_product(
    *,
    actor: Membership,
    product_id: int,
    name: str,
    list_price: Decimal | str | int,
    floor_price: Decimal | str | int,
    gift: str = "",
) -> Product:
    """Change a product's name, prices or gift (owners and supervisors)."""
    require_role(actor, *EDITORS)
    name, listed, floor, gift = _clean(name, list_price, floor_price, gift)
    with transaction.atomic():
        product = get_product(actor=actor, product_id=product_id)
        _refuse_taken_name(actor.shop_id, name, except_id=product.pk)
        product.name, product.list_price, product.floor_price, product.gift = (
            name,
            listed,
            floor,
            gift,
        )
        product.save(update_fields=["name", "list_price", "floor_price", "gift"])
    return product


def delete_product(*, actor: Membership, product_id: int) -> None:
    """Remove a product (owners and supervisors)."""
    require_role(actor, *EDITORS)
    with transaction.atomic():
        get_product(actor=actor, product_id=product_id).delete()
