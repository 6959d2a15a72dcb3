"""The bargaining helper: staged, shrinking concessions that never reveal or cross the floor."""

from __future__ import annotations

import random
import re
from decimal import Decimal

import pytest

from kefu.assist.bargain import Offer, next_offer, price_unit


def haggle_to_the_end(list_price: Decimal, floor: Decimal, customer_type: str) -> list[Offer]:
    """Keep asking for a lower price until the helper says its last word."""
    offers: list[Offer] = []
    rounds: list[Decimal] = []
    while not offers or not offers[-1].final:
        offer = next_offer(
            list_price=list_price, floor_price=floor, rounds=rounds, customer_type=customer_type
        )
        offers.append(offer)
        rounds.append(offer.price)
        assert len(offers) < 50, "the haggling never ends"
    return offers


def random_prices(count: int) -> list[tuple[Decimal, Decimal]]:
    """List and floor prices from 1 yuan to 20,000 yuan, floors 50%-100% of the list price."""
    rng = random.Random(20240611)
    pairs = []
    for _ in range(count):
        list_price = Decimal(str(round(10 ** rng.uniform(0, 4.3), rng.choice([0, 1, 2]))))
        list_price = max(list_price, Decimal("0.5"))
        floor = (list_price * Decimal(str(rng.uniform(0.5, 1.0)))).quantize(Decimal("0.01"))
        pairs.append((list_price, max(floor, Decimal("0.01"))))
    return pairs


RANDOM_PRICES = random_prices(400)


def test_first_offer_never_opens_with_the_floor() -> None:
    offer = next_offer(list_price=Decimal(299), floor_price=Decimal(239), rounds=[])

    assert Decimal(239) < offer.price < Decimal(299)
    assert not offer.final


def test_each_concession_is_smaller_than_the_one_before() -> None:
    offers = haggle_to_the_end(Decimal(299), Decimal(239), "normal")

    steps = [o.concession for o in offers if o.concession > 0]
    assert len(steps) >= 3
    assert all(later < earlier for earlier, later in zip(steps, steps[1:], strict=False))


def test_the_floor_is_the_final_offer_and_comes_with_a_gift() -> None:
    last = haggle_to_the_end(Decimal(299), Decimal(239), "normal")[-1]

    assert last.final
    assert last.price == Decimal(239)
    assert "赠品" in last.gift_alternative or "送" in last.gift_alternative
    assert "赠品" in last.wording


def test_at_the_floor_the_price_holds() -> None:
    offer = next_offer(
        list_price=Decimal(299), floor_price=Decimal(239), rounds=[Decimal(260), Decimal(239)]
    )

    assert offer.price == Decimal(239)
    assert offer.concession == 0
    assert offer.final


def test_haggler_starts_higher_with_smaller_steps() -> None:
    normal = haggle_to_the_end(Decimal(500), Decimal(380), "normal")
    haggler = haggle_to_the_end(Decimal(500), Decimal(380), "haggler")

    assert haggler[0].price > normal[0].price
    assert haggler[0].concession < normal[0].concession
    assert len(haggler) > len(normal)


def test_wording_justifies_the_price_and_hides_the_floor() -> None:
    offer = next_offer(list_price=Decimal(299), floor_price=Decimal(239), rounds=[])

    assert str(offer.price) in offer.wording
    assert "239" not in offer.wording
    assert "底价" not in offer.wording


def test_pricier_goods_are_quoted_per_day() -> None:
    offer = next_offer(list_price=Decimal(2000), floor_price=Decimal(1600), rounds=[])

    assert "每天" in offer.wording


def test_small_prices_move_in_dimes_and_others_in_whole_yuan() -> None:
    assert price_unit(Decimal("12.8")) == Decimal("0.1")
    assert price_unit(Decimal(299)) == Decimal(1)
    assert next_offer(list_price=Decimal(299), floor_price=Decimal(239), rounds=[]).price % 1 == 0


def test_no_room_means_no_price_move_only_a_gift() -> None:
    offer = next_offer(list_price=Decimal(100), floor_price=Decimal(100), rounds=[])

    assert offer.price == Decimal(100)
    assert offer.final
    assert offer.gift_alternative


def test_inconsistent_prices_are_rejected() -> None:
    with pytest.raises(ValueError):
        next_offer(list_price=Decimal(100), floor_price=Decimal(120), rounds=[])
    with pytest.raises(ValueError):
        next_offer(list_price=Decimal(100), floor_price=Decimal(80), rounds=[Decimal(70)])
    with pytest.raises(ValueError):
        next_offer(
            list_price=Decimal(100), floor_price=Decimal(80), rounds=[Decimal(90), Decimal(95)]
        )


@pytest.mark.parametrize("customer_type", ["normal", "haggler"])
def test_rules_hold_over_many_random_prices(customer_type: str) -> None:
    for list_price, floor in RANDOM_PRICES:
        offers = haggle_to_the_end(list_price, floor, customer_type)
        prices = [o.price for o in offers]
        steps = [o.concession for o in offers if o.concession > 0]

        assert all(floor <= p <= list_price for p in prices), (list_price, floor, prices)
        assert prices[0] > floor or prices[0] == list_price, (list_price, floor, prices)
        assert all(b < a for a, b in zip(steps, steps[1:], strict=False)), (list_price, floor)
        assert all(not o.final for o in offers[:-1]) and offers[-1].final
        assert all(
            o.price == p - o.concession for o, p in zip(offers, [list_price, *prices], strict=False)
        )


@pytest.mark.parametrize("customer_type", ["normal", "haggler"])
def test_the_floor_never_shows_in_wording_before_it_is_offered(customer_type: str) -> None:
    for list_price, floor in RANDOM_PRICES:
        for offer in haggle_to_the_end(list_price, floor, customer_type):
            shown = set(re.findall(r"\d+(?:\.\d+)?", offer.wording))
            own = {f"{n.normalize():f}" for n in (offer.price, offer.concession)}
            leaked = f"{floor.normalize():f}" in shown - own
            assert offer.price == floor or not leaked, (list_price, floor, offer.wording)


def test_offer_wording_passes_the_reply_checker() -> None:
    from kefu.assist.checker import check_reply

    offers = haggle_to_the_end(Decimal(2999), Decimal(2399), "normal")

    assert [check_reply(o.wording) for o in offers] == [[] for _ in offers]
    assert [check_reply(o.gift_alternative) for o in offers] == [[] for _ in offers]
