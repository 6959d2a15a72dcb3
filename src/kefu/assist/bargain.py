"""Bargaining helper (还价): the next price to offer a customer who asks for a discount.

The rules come from the shops' own handbooks: never open with the bottom price,
concede in stages with each step smaller than the last, never go below the
floor, and once the floor is reached be generous with a small free item instead
of more price. Endless hagglers start higher and get smaller steps. The floor
is never revealed: the wording justifies the price, it does not mention the floor.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

HAGGLING_TYPES = frozenset({"haggler", "bargain_hunter"})
"""Customer types (论价型, bargain hunters) that get the slow schedule; every other type is normal."""

# Share of the room (list price − floor) given away at each concession; the
# shares fall, so each step is smaller than the one before, and add up to 1.
_NORMAL_SHARES = (Decimal(4), Decimal(3), Decimal(2), Decimal(1))
_HAGGLER_SHARES = (Decimal(6), Decimal(5), Decimal(4), Decimal(3), Decimal(2), Decimal(1))

SMALL_PRICE_LIMIT = Decimal(20)
"""Below this list price, prices move in steps of 0.1 yuan; from it up, in whole yuan."""

DEFAULT_GIFT = "一份实用的小赠品"

_OFFER_WORDINGS = (
    "亲，这款的用料和做工在同价位里很扎实，价格本来就定得实在。"
    "我跟店长申请了一下，给您让{让价}元，{价格}元，您看可以吗？{每天}",
    "看得出您是真心喜欢，我再帮您争取一次：{价格}元，又少了{让价}元。"
    "这个价买到的是耐用的好东西，用着省心更划算。{每天}",
    "这一步让得很不容易了，{价格}元，再少{让价}元。"
    "好东西用得久，算下来比便宜货更省钱，您看就定这个价好吗？{每天}",
)
_FINAL_WORDING = (
    "亲，{价格}元已经是我们能给到的最实在的价格了，再往下就只能换差一些的料子，"
    "那样对您不负责。价格就定在这里，我给您申请{赠品}，您看这样好吗？"
)


@dataclass(frozen=True)
class Offer:
    """The next offer to make, and how to say it."""

    price: Decimal
    concession: Decimal
    """How much lower than our previous offer (0 when we hold the price)."""
    final: bool
    """True when the price will not move again: offer the gift instead of more price."""
    gift_alternative: str
    """A free small item to offer instead of (more) price."""
    wording: str
    """A reply that justifies the price; it never mentions the floor."""


def price_unit(list_price: Decimal) -> Decimal:
    """The step prices are rounded to: 0.1 yuan for small prices, 1 yuan otherwise."""
    return Decimal("0.1") if list_price < SMALL_PRICE_LIMIT else Decimal(1)


def _round(amount: Decimal, unit: Decimal) -> Decimal:
    return (amount / unit).quantize(Decimal(1), rounding=ROUND_HALF_UP) * unit


def _shares(customer_type: str) -> tuple[Decimal, ...]:
    return _HAGGLER_SHARES if customer_type in HAGGLING_TYPES else _NORMAL_SHARES


def _validate(list_price: Decimal, floor_price: Decimal, rounds: Sequence[Decimal]) -> None:
    if floor_price <= 0 or list_price < floor_price:
        raise ValueError("need 0 < floor_price <= list_price")
    for earlier, later in zip([list_price, *rounds], rounds, strict=False):
        if later > earlier:
            raise ValueError("previous offers must never go up")
    if rounds and rounds[-1] < floor_price:
        raise ValueError("a previous offer is below the floor price")


def _per_day(price: Decimal) -> str:
    """An everyday comparison for durable, pricier goods: the price spread over one year."""
    if price < 100:
        return ""
    daily = (price / 365).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    return f"哪怕只用一年，摊到每天也就{daily}元左右。"


def _display(amount: Decimal) -> str:
    return f"{amount.normalize():f}"


def next_offer(
    *,
    list_price: Decimal,
    floor_price: Decimal,
    rounds: Sequence[Decimal],
    customer_type: str = "normal",
    gift: str = DEFAULT_GIFT,
) -> Offer:
    """The next offer after `rounds` (our previous offers, oldest first; empty before any).

    Raises ValueError when the prices are inconsistent (floor above list price,
    an earlier offer below the floor, or offers that went up).
    """
    list_price, floor_price = Decimal(list_price), Decimal(floor_price)
    rounds = [Decimal(r) for r in rounds]
    _validate(list_price, floor_price, rounds)
    unit = price_unit(list_price)
    current = rounds[-1] if rounds else list_price
    drops = [a - b for a, b in zip([list_price, *rounds], rounds, strict=False) if a > b]
    previous_step = drops[-1] if drops else None

    shares = _shares(customer_type)
    made = min(len(drops) + 1, len(shares))
    planned_total = (list_price - floor_price) * sum(shares[:made]) / sum(shares)
    planned_price = max(_round(list_price - planned_total, unit), floor_price)
    step = current - planned_price
    # Never open with the floor; afterwards, each step strictly smaller than the last.
    largest = (current - floor_price - unit) if previous_step is None else previous_step - unit
    step = min(max(step, unit), largest)
    if step < unit or current <= floor_price:
        return _hold(current, gift)
    price = max(current - step, floor_price)
    concession = current - price
    if price == floor_price:
        return _hold(price, gift, concession=concession)
    wording = _OFFER_WORDINGS[len(drops) % len(_OFFER_WORDINGS)].format(
        让价=_display(concession), 价格=_display(price), 每天=_per_day(price)
    )
    return Offer(
        price=price,
        concession=concession,
        final=False,
        gift_alternative=_gift_sentence(gift),
        wording=wording,
    )


def _gift_sentence(gift: str) -> str:
    return f"价格上不再往下调，改为送您{gift}，随包裹一起寄出。"


def _hold(price: Decimal, gift: str, *, concession: Decimal = Decimal(0)) -> Offer:
    """The last word on price: keep it, and be generous with a small free item instead."""
    return Offer(
        price=price,
        concession=concession,
        final=True,
        gift_alternative=_gift_sentence(gift),
        wording=_FINAL_WORDING.format(价格=_display(price), 赠品=gift),
    )
