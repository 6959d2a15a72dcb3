"""Storing orders: staged in a temporary table, merged set-based; the chat can write meanwhile."""

from __future__ import annotations

import datetime as dt
import threading
from decimal import Decimal

import pytest
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db import connections as thread_connections
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from kefu.customers.models import Customer
from kefu.orders import importing, storing
from kefu.orders.models import Order
from kefu.orders.order_rows import OrderDraft
from kefu.shops.models import Shop
from tests.orders.test_importing import big_taobao_csv

START = dt.datetime(2024, 3, 1, 2, 0, tzinfo=dt.UTC)


def draft(n: int, buyer: str = "", **changes: object) -> OrderDraft:
    values: dict[str, object] = {
        "row": n + 2,
        "order_no": f"TB{n:07d}",
        "buyer": buyer,
        "status": "paid",
        "status_text": "买家已付款",
        "amount": Decimal(f"{n % 500}.90"),
        "refund_amount": Decimal("0.00"),
        "title": f"四件套 款式{n % 37}",
        "created_at": START + dt.timedelta(minutes=n),
        "paid_at": START + dt.timedelta(minutes=n, seconds=30),
        "receiver_name": f"收货人{n}",
        "receiver_phone": f"138{n:08d}",
        "receiver_address": f"杭州市 文三路 {n}号",
    }
    return OrderDraft(**{**values, **changes})  # type: ignore[arg-type]


def store(shop: Shop, drafts: list[OrderDraft], **kw: object) -> tuple[int, int]:
    return storing.store_orders(shop_id=shop.id, platform="taobao", drafts=drafts, **kw)  # type: ignore[arg-type]


# --- what goes in --------------------------------------------------------------------------


@pytest.mark.django_db
def test_orders_go_in_as_read_and_their_buyers_become_customers(make_shop):
    shop = make_shop().shop
    drafts = [draft(n, buyer=f"buyer{n % 3}") for n in range(7)] + [draft(7)]

    created, updated = store(shop, drafts)

    assert (created, updated) == (8, 0)
    stored = {o.order_no: o for o in Order.objects.filter(shop=shop).select_related("customer")}
    for d in drafts:
        order = stored[d.order_no]
        assert (order.amount, order.created_at, order.paid_at, order.title) == (
            d.amount,
            d.created_at,
            d.paid_at,
            d.title,
        )
        assert (order.customer.nickname if order.customer else "") == d.buyer
    assert Customer.objects.filter(shop=shop).count() == 3


@pytest.mark.django_db
def test_a_new_customer_takes_the_details_of_their_first_order_in_the_file(make_shop):
    shop = make_shop().shop
    # lily's first order opens the file; her next ones come in later chunks
    drafts = [draft(n, buyer="lily" if n % 1200 == 0 else f"b{n}") for n in range(2500)]

    store(shop, drafts)

    lily = Customer.objects.get(shop=shop, nickname="lily")
    assert (lily.name, lily.phone, lily.address) == ("收货人0", "13800000000", "杭州市 文三路 0号")
    assert lily.orders.count() == 3


@pytest.mark.django_db
def test_a_known_customer_keeps_the_details_the_archive_holds(make_shop):
    shop = make_shop().shop
    kept = Customer.objects.create(
        shop=shop, platform="taobao", nickname="lily", name="林莉", phone="13900001111"
    )

    store(shop, [draft(1, buyer="lily")])

    kept.refresh_from_db()
    assert (kept.name, kept.phone, kept.address) == ("林莉", "13900001111", "")
    assert Order.objects.get(shop=shop).customer == kept


@pytest.mark.django_db
def test_a_new_customer_gets_every_default_a_customer_made_by_hand_gets(make_shop):
    shop = make_shop().shop
    by_hand = Customer.objects.create(shop=shop, platform="taobao", nickname="by-hand")
    before = timezone.now()

    store(shop, [draft(1, buyer="imported")])

    imported = Customer.objects.get(shop=shop, nickname="imported")
    own = {"id", "nickname", "name", "phone", "address", "created_at", "updated_at"}
    for field in Customer._meta.concrete_fields:
        if field.name not in own:
            assert getattr(imported, field.attname) == getattr(by_hand, field.attname), field.name
    assert before <= imported.created_at == imported.updated_at <= timezone.now()


@pytest.mark.django_db
def test_storing_again_updates_in_place_and_counts_updates(make_shop):
    shop = make_shop().shop
    store(shop, [draft(n, buyer="lily") for n in range(3)])
    first = dict(Order.objects.filter(shop=shop).values_list("order_no", "id"))

    created, updated = store(
        shop,
        [draft(0, buyer="lily", status="refunded", refund_amount=Decimal("0.90"))]
        + [draft(n, buyer="lily") for n in (1, 2, 3)],
    )

    assert (created, updated) == (1, 3)
    again = dict(Order.objects.filter(shop=shop).values_list("order_no", "id"))
    assert {k: again[k] for k in first} == first  # the same rows, not copies
    changed = Order.objects.get(shop=shop, order_no="TB0000000")
    assert (changed.status, changed.refund_amount) == ("refunded", Decimal("0.90"))
    assert Customer.objects.filter(shop=shop).count() == 1


@pytest.mark.django_db
def test_an_order_without_a_buyer_has_no_customer_even_if_one_is_named_blank(make_shop):
    shop = make_shop().shop
    Customer.objects.create(shop=shop, platform="taobao", nickname="")

    store(shop, [draft(1)])

    assert Order.objects.get(shop=shop).customer is None


@pytest.mark.django_db
def test_the_same_order_numbers_and_buyers_in_two_shops_stay_apart(make_shop):
    ours, theirs = make_shop().shop, make_shop().shop
    store(theirs, [draft(1, buyer="lily")])

    assert store(ours, [draft(1, buyer="lily")]) == (1, 0)

    ours_order = Order.objects.get(shop=ours)
    assert ours_order.customer.shop_id == ours.id
    assert Order.objects.get(shop=theirs).customer.shop_id == theirs.id


@pytest.mark.django_db
def test_unmerged_drafts_are_refused_not_half_stored(make_shop):
    shop = make_shop().shop

    with pytest.raises(IntegrityError), transaction.atomic():
        store(shop, [draft(1), draft(1)])

    assert not Order.objects.filter(shop=shop).exists()


@pytest.mark.django_db
def test_progress_is_told_per_chunk_while_staging(make_shop):
    shop = make_shop().shop
    calls: list[tuple[int, int]] = []

    store(shop, [draft(n) for n in range(2500)], progress=lambda d, t: calls.append((d, t)))

    assert calls == [(1000, 2500), (2000, 2500), (2500, 2500)]


@pytest.mark.django_db
def test_nothing_to_store_touches_nothing(make_shop, django_assert_num_queries):
    shop = make_shop().shop

    with django_assert_num_queries(0):
        assert store(shop, []) == (0, 0)


@pytest.mark.django_db
def test_the_staging_table_goes_and_a_failed_staging_does_not_block_the_next(make_shop):
    shop = make_shop().shop

    def fail(done: int, total: int) -> None:
        raise RuntimeError("stop")

    with pytest.raises(RuntimeError), transaction.atomic():
        store(shop, [draft(n) for n in range(10)], progress=fail)
    assert store(shop, [draft(n) for n in range(10)]) == (10, 0)

    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM {storing._staged()}")


@pytest.mark.django_db(transaction=True)  # staged outside any transaction, as imports do
def test_a_failed_staging_outside_a_transaction_leaves_none_open_nor_its_table(make_shop):
    shop = make_shop().shop

    with pytest.raises(IntegrityError):
        storing.store_orders(
            shop_id=shop.id, platform="taobao", drafts=[draft(n) for n in (1, 2, 3, 2)]
        )

    assert not connection.in_atomic_block and not open_transaction()
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM {storing._staged()}")
    assert not Order.objects.exists()


def open_transaction() -> bool:
    raw = connection.connection
    if connection.vendor == "sqlite":
        return raw.in_transaction
    from psycopg.pq import TransactionStatus

    return raw.info.transaction_status != TransactionStatus.IDLE


# --- how many statements ---------------------------------------------------------------------


@pytest.mark.django_db
def test_the_merge_is_a_few_statements_however_many_chunks(make_shop):
    shop = make_shop().shop

    def statements(orders: int) -> tuple[list[str], list[str]]:
        with CaptureQueriesContext(connection) as ctx:
            store(shop, [draft(n, buyer=f"b{n % 700}") for n in range(orders)])
        sqls = [q["sql"] for q in ctx.captured_queries]
        # SQLite: savepoint, one executemany ("N times: INSERT …"), release; PostgreSQL: COPY.
        chunk = (f"INSERT INTO {storing._staged()}", f"COPY {storing._staged()}", "kefu_staging")
        staging = [s for s in sqls if any(c in s for c in chunk)]
        return staging, [s for s in sqls if s not in staging]

    staging_2, others_2 = statements(1500)  # 2 chunks
    staging_5, others_5 = statements(4500)  # 5 chunks, a third of them updates now

    per_chunk = 3 if connection.vendor == "sqlite" else 1
    assert (len(staging_2), len(staging_5)) == (2 * per_chunk, 5 * per_chunk)
    # Drop, create; savepoint, count, customers, orders, release; drop.
    assert len(others_2) == len(others_5) == 8, others_5


# --- the write lock (SQLite) -----------------------------------------------------------------


def write_from_another_connection(shop_id: int, name: str) -> str:
    """What the chat's writer would see writing now without waiting: "ok" or the error."""
    outcome: list[str] = []

    def write() -> None:
        try:
            with thread_connections["default"].cursor() as cursor:
                cursor.execute("PRAGMA busy_timeout = 0")
            Shop.objects.filter(id=shop_id).update(name=name)
            outcome.append("ok")
        except DatabaseError as exc:
            outcome.append(str(exc))
        finally:
            thread_connections["default"].close()

    thread = threading.Thread(target=write)
    thread.start()
    thread.join(10)
    return outcome[0]


@pytest.mark.django_db(transaction=True)  # the import commits, as it does for real
def test_the_chat_can_write_while_an_import_stages_and_waits_only_for_the_merge(make_shop):
    if connection.vendor != "sqlite":
        pytest.skip("PostgreSQL locks rows, not the database")
    people = make_shop()
    shop_id = people.shop.id
    between_chunks: list[str] = []
    within_a_chunk: list[str] = []
    while_merging: list[str] = []

    def staging(done: int, total: int) -> None:
        if not between_chunks:
            between_chunks.append(write_from_another_connection(shop_id, "导入中改名"))

    def probing(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        if sql.startswith('INSERT INTO "orders_order" (') and not while_merging:
            while_merging.append(write_from_another_connection(shop_id, "合并中改名"))
        result = execute(sql, params, many, context)
        if sql.startswith(f"INSERT INTO {storing._staged()}") and not within_a_chunk:
            # the chunk's rows are written, its transaction not yet committed
            within_a_chunk.append(write_from_another_connection(shop_id, "导入中改名"))
        return result

    with connection.execute_wrapper(probing):
        record = importing.import_orders_file(
            actor=people.owner,
            filename="big.csv",
            data=big_taobao_csv(rows=2500, buyers=300),
            progress=staging,
        )

    assert record.created == 2500
    assert (between_chunks, within_a_chunk) == (["ok"], ["ok"])
    # The probe does see the lock: the merge's short transaction holds it.
    assert while_merging == ["database is locked"]
    assert Shop.objects.get(id=shop_id).name == "导入中改名"
