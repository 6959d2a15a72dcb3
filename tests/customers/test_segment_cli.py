"""`kefu customers segment`: recomputes the shop's segments and prints what it found."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone
from typer.testing import CliRunner

from kefu.cli import app
from kefu.customers.models import Customer, Segment, SegmentRun
from kefu.orders.models import Order

pytestmark = pytest.mark.django_db


def test_segment_command_prints_counts_per_segment_and_the_moves(make_shop):
    shop = make_shop().shop
    lily = Customer.objects.create(shop=shop, platform="taobao", nickname="tb_lily")
    Order.objects.create(
        shop=shop,
        customer=lily,
        platform="taobao",
        order_no="TB1",
        status="completed",
        amount=Decimal("3260"),
        created_at=timezone.now() - dt.timedelta(days=3),
    )
    CliRunner().invoke(app, ["customers", "segment", "--shop", shop.slug])
    Order.objects.create(
        shop=shop,
        customer=lily,
        platform="taobao",
        order_no="TB2",
        status="completed",
        amount=Decimal("10"),
        created_at=timezone.now() - dt.timedelta(days=1),
    )

    result = CliRunner().invoke(app, ["customers", "segment", "--shop", shop.slug])

    assert result.exit_code == 0, result.output
    assert "1 位客户" in result.output
    assert "黄金客户" in result.output and "100.0%" in result.output
    assert "流星客户 → 黄金客户：1" in result.output
    assert "用时" in result.output
    assert Customer.objects.get(pk=lily.pk).segment == Segment.GOLD
    assert SegmentRun.objects.filter(shop=shop).count() == 2


def test_segment_command_refuses_an_unknown_shop(make_shop):
    make_shop()

    result = CliRunner().invoke(app, ["customers", "segment", "--shop", "nope"])

    assert result.exit_code == 1
    assert "找不到店铺 nope" in result.output
