"""Playbook services: products to bargain over."""

from __future__ import annotations

from decimal import Decimal

import pytest

from kefu.errors import Forbidden, NotFound, ServiceError
from kefu.playbook import services
from kefu.playbook.models import Product

pytestmark = pytest.mark.django_db


# --- products -------------------------------------------------------------------------------


def test_owner_adds_a_product_with_its_floor(make_shop):
    people = make_shop()

    product = services.create_product(
        actor=people.owner, name="羊毛衫", list_price="199", floor_price="169.5", gift="收纳袋"
    )

    assert (product.list_price, product.floor_price) == (Decimal("199.00"), Decimal("169.50"))


def test_floor_above_the_list_price_is_refused(make_shop):
    people = make_shop()

    with pytest.raises(ServiceError) as refused:
        services.create_product(
            actor=people.owner, name="羊毛衫", list_price="199", floor_price="200"
        )

    assert refused.value.code == "bad_floor_price"
    assert not Product.objects.exists()


@pytest.mark.parametrize("price", ["0", "-1", "abc", "NaN", "1.234"])
def test_a_price_that_is_not_a_positive_amount_in_cents_is_refused(make_shop, price):
    people = make_shop()

    with pytest.raises(ServiceError) as refused:
        services.create_product(
            actor=people.owner, name="羊毛衫", list_price=price, floor_price="1"
        )

    assert refused.value.code == "bad_list_price"


def test_two_products_with_one_name_are_refused(make_shop):
    people = make_shop()
    services.create_product(actor=people.owner, name="羊毛衫", list_price="199", floor_price="169")

    with pytest.raises(ServiceError) as refused:
        services.create_product(
            actor=people.owner, name="羊毛衫", list_price="99", floor_price="89"
        )

    assert refused.value.code == "name_taken"


def test_agent_cannot_change_a_product(make_shop):
    people = make_shop()
    product = services.create_product(
        actor=people.owner, name="羊毛衫", list_price="199", floor_price="169"
    )

    with pytest.raises(Forbidden):
        services.update_product(
            actor=people.agent,
            product_id=product.pk,
            name="羊毛衫",
            list_price="199",
            floor_price="1",
        )
    assert Product.objects.get(id=product.pk).floor_price == Decimal("169.00")


def test_product_of_another_shop_is_not_found(make_shop):
    first, second = make_shop(), make_shop()
    product = services.create_product(
        actor=first.owner, name="羊毛衫", list_price="199", floor_price="169"
    )

    with pytest.raises(NotFound):
        services.get_product(actor=second.owner, product_id=product.pk)
