"""After every import that stores orders (file, CLI, site push) the shop is resegmented."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest
from django.test import Client
from django.utils import timezone
from typer.testing import CliRunner

from kefu.cli import app
from kefu.customers.models import Customer, SegmentRun
from kefu.orders import importing, resegmenting

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).resolve().parent / "fixtures"
PUSHED = [{"order_no": "W1", "buyer": "site-1", "amount": "99.00", "status": "paid"}]


def test_a_file_import_resegments_once_committed(make_shop, django_capture_on_commit_callbacks):
    people = make_shop()
    told = []

    with django_capture_on_commit_callbacks(execute=True):
        importing.import_orders_file(
            actor=people.owner,
            filename="t.csv",
            data=(FIXTURES / "taobao_orders_gbk.csv").read_bytes(),
            resegmenting=lambda: told.append(SegmentRun.objects.count()),
        )

    assert told == [0]  # told before the run
    run = SegmentRun.objects.get(shop=people.shop)
    assert run.customers == 3
    assert not Customer.objects.filter(shop=people.shop, segmented_at__isnull=True).exists()


def test_a_file_that_stores_nothing_does_not_resegment(
    make_shop, django_capture_on_commit_callbacks
):
    people = make_shop()

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        importing.import_orders_file(
            actor=people.owner,
            filename="bad.csv",
            data=(FIXTURES / "taobao_bad_number_and_date.csv").read_bytes(),
        )

    assert callbacks == []
    assert not SegmentRun.objects.exists()


@pytest.mark.django_db(transaction=True)  # the CLI commits, as it does for real
def test_the_cli_says_it_resegments_and_does(make_shop):
    people = make_shop()

    result = CliRunner().invoke(
        app,
        ["orders", "import", "--shop", people.shop.slug, str(FIXTURES / "taobao_orders_gbk.csv")],
    )

    assert result.exit_code == 0, result.output
    assert "正在重新计算客户分层" in result.output
    assert SegmentRun.objects.filter(shop=people.shop).count() == 1


def join_resegmenting() -> None:
    for thread in threading.enumerate():
        if thread.name.startswith(resegmenting.THREAD_PREFIX):
            thread.join(60)


def push_as(member, orders=PUSHED):  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(member.user)
    return client.post(
        "/api/orders", data=json.dumps({"orders": orders}), content_type="application/json"
    )


@pytest.mark.django_db(transaction=True)  # the push commits; the pass runs in its own thread
def test_a_site_push_resegments_in_the_background(make_shop):
    people = make_shop()

    response = push_as(people.owner)
    join_resegmenting()

    assert response.status_code == 200
    assert SegmentRun.objects.filter(shop=people.shop).count() == 1
    assert Customer.objects.get(shop=people.shop).total_orders == 1


@pytest.mark.django_db(transaction=True)
def test_pushes_within_ten_minutes_of_a_pass_wait_for_the_next_one(make_shop):
    people = make_shop()
    push_as(people.owner)
    join_resegmenting()

    push_as(people.owner, [{**PUSHED[0], "order_no": "W2"}])
    join_resegmenting()

    assert SegmentRun.objects.filter(shop=people.shop).count() == 1
    SegmentRun.objects.update(computed_at=timezone.now() - resegmenting.PUSH_RESEGMENT_EVERY)
    push_as(people.owner, [{**PUSHED[0], "order_no": "W3"}])
    join_resegmenting()
    assert SegmentRun.objects.filter(shop=people.shop).count() == 2
    assert Customer.objects.get(shop=people.shop).total_orders == 3


def test_a_refused_push_does_not_resegment_and_reads_as_failed(
    make_shop, django_capture_on_commit_callbacks
):
    people = make_shop()
    client = Client()
    client.force_login(people.owner.user)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/api/orders",
            data=json.dumps({"orders": [{**PUSHED[0], "amount": "x"}]}),
            content_type="application/json",
        )

    assert response.status_code == 400
    assert not SegmentRun.objects.exists()
    assert people.shop.order_imports.get().state == "failed"
