"""The demo shop `make run` loads shows every segment, with orders, types, tags and notes."""

from __future__ import annotations

import pytest

from kefu.customers.models import Customer, CustomerNote, Segment, SegmentRun
from kefu.orders.models import Order
from kefu.shops.demo import load_demo


@pytest.mark.django_db(transaction=True)  # segments are recomputed once the orders commit
def test_the_demo_shop_has_a_customer_in_every_segment():
    shop = load_demo().shop

    segments = set(Customer.objects.filter(shop=shop).values_list("segment", flat=True))
    assert segments == set(Segment.values)
    assert SegmentRun.objects.filter(shop=shop).count() == 1
    assert Order.objects.filter(shop=shop, status="refunded").exists()
    haggler = Customer.objects.get(shop=shop, nickname="砍价小能手")
    assert haggler.buying_behaviour == "haggler" and haggler.segment == Segment.BURDEN
    assert CustomerNote.objects.filter(customer=haggler).exists()


@pytest.mark.django_db(transaction=True)
def test_loading_the_demo_twice_adds_nothing():
    load_demo()
    orders = Order.objects.count()
    assert load_demo().created is False
    assert Order.objects.count() == orders
