"""Customer segmentation at shop scale: import rows/s, then the full segmentation pass.

    .venv/bin/python bench/segments_bench.py --customers 1000000 --orders 5000000
    .venv/bin/python bench/segments_bench.py --customers 1000000 --orders 5000000 \\
        --database-url postgres://postgres@127.0.0.1:5432/postgres

A fresh database of its own (a SQLite file in a temporary folder, or a database
`kefu_bench_<pid>` created on the PostgreSQL server of --database-url and dropped at the
end), migrated, one shop. Then:

1. import: the first --import-rows orders (default min(M, 200,000)) as Taobao exports,
   50,000 rows a file, through the real import (`kefu.orders.importing`): parse, link
   customers, upsert. That is `import_rows_per_s`.
2. load: the rest of the customers, orders and some chats (a visitor and a conversation
   for one customer in 20, a few coach-read messages each) by set-based INSERT … SELECT
   from a number sequence. Not an import: it only fills the shop fast.
3. segment: `segment_customers` over the whole shop (`segment_s`), then again 30 days
   later, which shows the moves.

Ends with one JSON line. It never fails on time; figures depend on the machine.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import json
import os
import random
import resource
import shutil
import sys
import tempfile
import time
import urllib.parse
from contextlib import ExitStack
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
FILE_ROWS = 50_000
LOAD_CHUNK = 500_000
CHAT_EVERY = 20  # one customer in 20 has chatted
PRODUCTS = [
    "羊毛围巾",
    "真丝睡衣",
    "保温杯",
    "蓝牙耳机",
    "运动鞋",
    "面霜套装",
    "儿童绘本",
    "茶叶礼盒",
]
TAOBAO_HEADER = [
    "订单编号",
    "买家会员名",
    "买家实际支付金额",
    "订单状态",
    "退款状态",
    "退款金额",
    "订单创建时间",
    "订单付款时间",
    "宝贝标题",
    "收货人姓名",
    "联系手机",
    "收货地址",
]
# (code, Taobao's wording, after-sale wording), picked by `status_slot`.
STATUS_TEXT = {
    "completed": ("交易成功", ""),
    "refunded": ("交易关闭", "退款成功"),
    "refunding": ("卖家已发货，等待买家确认", "退款中"),
    "unpaid": ("等待买家付款", ""),
    "closed": ("交易关闭", ""),
    "shipped": ("卖家已发货，等待买家确认", ""),
}
COACH_METAS = [
    {"intent": "greeting", "objection_type": None, "emotion": "neutral"},
    {"intent": "inquiry", "objection_type": None, "emotion": "neutral"},
    {"intent": "objection", "objection_type": "price", "emotion": "hesitant"},
    {"intent": "complaint", "objection_type": None, "emotion": "dissatisfied"},
    {"intent": "other", "objection_type": None, "emotion": "neutral"},
    {"intent": "closing", "objection_type": None, "emotion": "positive"},
]


# --- one deterministic shop: the same formulas in Python (import) and SQL (load) ----------


def mix(i: int) -> int:
    return (i * 2654435761) % 4294967296


def customer_index(h: int, customers: int) -> int:
    loyal = max(customers // 5, 1)  # half the orders come from a fifth of the customers
    return (h // 2) % customers if h % 2 == 0 else (h // 2) % loyal


def status_of(h: int) -> str:
    slot = (h // 7) % 100
    for limit, status in (
        (80, "completed"),
        (85, "refunded"),
        (88, "refunding"),
        (93, "unpaid"),
        (97, "closed"),
    ):
        if slot < limit:
            return status
    return "shipped"


def amount_cents(h: int) -> int:
    """¥10–¥510, and one order in ten ¥2,000 more (a coat, a phone)."""
    return 1000 + (h // 13) % 50000 + (200000 if (h // 23) % 10 == 0 else 0)


def seconds_ago(h: int) -> int:
    return (h // 19) % (400 * 86400)


def nickname(i: int) -> str:
    return f"b{i:07d}"


def import_file(first: int, count: int, customers: int, now_local: dt.datetime) -> bytes:
    """Taobao's order export layout (GBK, as the seller back-end writes it)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(TAOBAO_HEADER)
    for i in range(first, first + count):
        h = mix(i)
        status = status_of(h)
        text, after_sale = STATUS_TEXT[status]
        cents = amount_cents(h)
        refund = (
            cents
            if status == "refunded"
            else (cents // 2 if status == "refunding" and (h // 17) % 2 == 0 else 0)
        )
        created = now_local - dt.timedelta(seconds=seconds_ago(h))
        paid = (
            ""
            if status in ("unpaid", "closed")
            else f"{created + dt.timedelta(minutes=10):%Y-%m-%d %H:%M:%S}"
        )
        ci = customer_index(h, customers)
        writer.writerow(
            [
                f"{4000000000000000 + i}",
                nickname(ci),
                f"{cents / 100:.2f}",
                text,
                after_sale,
                f"{refund / 100:.2f}",
                f"{created:%Y-%m-%d %H:%M:%S}",
                paid,
                PRODUCTS[h % len(PRODUCTS)],
                f"顾客{ci % 1000}",
                f"138{ci:08d}",
                "浙江省杭州市西湖区文三路 90 号",
            ]
        )
    return out.getvalue().encode("gbk")


# --- set-up ----------------------------------------------------------------------------------


def temporary_database(server_url: str, stack: ExitStack) -> str:
    """A fresh database on the server of `server_url`, dropped on exit; its URL."""
    import psycopg

    name = f"kefu_bench_{os.getpid()}_{random.randrange(16**6):06x}"
    with psycopg.connect(server_url, autocommit=True, connect_timeout=5) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')

    def drop() -> None:
        from django.db import connections

        connections.close_all()
        with psycopg.connect(server_url, autocommit=True, connect_timeout=5) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    stack.callback(drop)
    return urllib.parse.urlunsplit(urllib.parse.urlsplit(server_url)._replace(path=f"/{name}"))


def setup_django(work: Path, database_url: str) -> None:
    os.environ["KEFU_DATA_DIR"] = str(work)
    os.environ["KEFU_SQLITE_PATH"] = str(work / "bench.sqlite3")
    os.environ["DJANGO_SETTINGS_MODULE"] = "kefu.settings"
    os.environ["KEFU_DEBUG"] = "0"
    if database_url:
        os.environ["DATABASE_URL"] = database_url
    else:
        os.environ.pop("DATABASE_URL", None)
    sys.path.insert(0, str(REPO / "src"))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", "--no-input", "-v", "0")


def create_shop():  # type: ignore[no-untyped-def]
    from kefu.shops import services
    from kefu.shops.models import Membership, Role

    shop = services.create_shop(
        name="分层压测小店",
        slug="bench",
        owner_username="bench-owner",
        owner_password="bench-pass-1234",
    )
    return Membership.objects.get(shop=shop, role=Role.OWNER)


# --- the SQL load -----------------------------------------------------------------------------


class Dialect:
    def __init__(self) -> None:
        from django.db import connection

        self.pg = connection.vendor == "postgresql"
        self.name = "postgresql" if self.pg else "sqlite"

    def sequence(self, first: int, last: int) -> tuple[str, str]:
        """(WITH clause, FROM item) yielding x = first…last."""
        if self.pg:
            return "", f"generate_series({first}, {last}) AS seq(x)"
        return (
            f"WITH RECURSIVE seq(x) AS (SELECT {first} UNION ALL SELECT x + 1 FROM seq "
            f"WHERE x < {last}) ",
            "seq",
        )

    def nickname(self, expr: str) -> str:
        if self.pg:
            return f"'b' || lpad(({expr})::text, 7, '0')"
        return f"printf('b%07d', {expr})"

    def at(self, now: dt.datetime) -> None:
        """Fix the bench's `now` (UTC) as the literal the generated rows count back from."""
        text = now.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S")
        self.now = f"CAST('{text}+00:00' AS timestamptz)" if self.pg else f"'{text}'"

    def before(self, seconds: str) -> str:
        """`now` minus an integer expression of seconds."""
        if self.pg:
            return f"({self.now} - ({seconds}) * INTERVAL '1 second')"
        return f"datetime({self.now}, (-({seconds})) || ' seconds')"

    def money(self, cents: str) -> str:
        return f"(CAST({cents} AS NUMERIC) / 100)" if self.pg else f"(({cents}) / 100.0)"

    def json(self, text: str) -> str:
        return f"CAST({text} AS jsonb)" if self.pg else text

    def uuid(self, seed: str) -> str:
        if self.pg:
            return f"CAST(md5('v' || ({seed})::text) AS uuid)"
        return "lower(hex(randomblob(16)))"


def quoted(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def insert_select(
    model,
    values: dict[str, str],
    source: str,
    *,
    with_sql: str = "",  # type: ignore[no-untyped-def]
    dialect: Dialect,
    conflict: str = "",
) -> int:
    """INSERT INTO model (every column) SELECT values or the column's empty default.

    No parameters: every value is an expression the bench wrote itself.
    """
    from django.db import connection, models

    qn = connection.ops.quote_name
    columns, exprs = [], []
    for field in model._meta.concrete_fields:
        if field.primary_key:
            continue
        name = field.column
        if name in values:
            expr = values[name]
        elif field.null:
            expr = "NULL"
        elif isinstance(field, models.JSONField):
            expr = dialect.json("'{}'")
        elif isinstance(field, models.BooleanField):
            expr = "FALSE"
        elif isinstance(field, models.DateTimeField):
            expr = dialect.now
        elif isinstance(field, (models.IntegerField, models.DecimalField, models.FloatField)):
            expr = "0"
        else:
            expr = "''"
        columns.append(qn(name))
        exprs.append(expr)
    where = " WHERE 1 = 1" if conflict else ""
    sql = (
        f"{with_sql}INSERT INTO {qn(model._meta.db_table)} ({', '.join(columns)}) "
        f"SELECT {', '.join(exprs)} FROM {source}{where}{conflict}"
    )
    if not dialect.pg and with_sql:
        # SQLite wants the WITH inside the INSERT's SELECT.
        sql = (
            f"INSERT INTO {qn(model._meta.db_table)} ({', '.join(columns)}) {with_sql}"
            f"SELECT {', '.join(exprs)} FROM {source}{where}{conflict}"
        )
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return cursor.rowcount


def load_customers(shop_id: int, customers: int, dialect: Dialect, now: dt.datetime) -> int:
    from django.db import transaction

    from kefu.customers.models import Customer

    with_sql, source = dialect.sequence(0, customers - 1)
    with transaction.atomic():
        return insert_select(
            Customer,
            {
                "shop_id": str(int(shop_id)),
                "platform": "'taobao'",
                "nickname": dialect.nickname("x"),
                "segment": "'none'",
            },
            source,
            with_sql=with_sql,
            dialect=dialect,
            conflict=" ON CONFLICT (shop_id, platform, nickname) DO NOTHING",
        )


def load_orders(
    shop_id: int, first: int, last: int, customers: int, dialect: Dialect, now: dt.datetime
) -> int:
    from django.db import transaction

    from kefu.customers.models import Customer
    from kefu.orders.models import Order

    loyal = max(customers // 5, 1)
    h = "((x * 2654435761) % 4294967296)"
    slot = f"(({h} / 7) % 100)"
    status = (
        f"(CASE WHEN {slot} < 80 THEN 'completed' WHEN {slot} < 85 THEN 'refunded' "
        f"WHEN {slot} < 88 THEN 'refunding' WHEN {slot} < 93 THEN 'unpaid' "
        f"WHEN {slot} < 97 THEN 'closed' ELSE 'shipped' END)"
    )
    cents = f"(1000 + ({h} / 13) % 50000 + (CASE WHEN ({h} / 23) % 10 = 0 THEN 200000 ELSE 0 END))"
    refund_cents = (
        f"(CASE WHEN {slot} >= 80 AND {slot} < 85 THEN {cents} "
        f"WHEN {slot} >= 85 AND {slot} < 88 AND ({h} / 17) % 2 = 0 THEN {cents} / 2 ELSE 0 END)"
    )
    ago = f"(({h} / 19) % {400 * 86400})"
    index = f"(CASE WHEN {h} % 2 = 0 THEN ({h} / 2) % {customers} ELSE ({h} / 2) % {loyal} END)"
    customer_table = Customer._meta.db_table
    titles = " ".join(f"WHEN {n} THEN '{p}'" for n, p in enumerate(PRODUCTS))
    loaded = 0
    for start in range(first, last + 1, LOAD_CHUNK):
        end = min(start + LOAD_CHUNK - 1, last)
        with_sql, seq = dialect.sequence(start, end)
        source = (
            f"{seq} JOIN {customer_table} c ON c.shop_id = {int(shop_id)} "
            f"AND c.platform = 'taobao' AND c.nickname = {dialect.nickname(index)}"
        )
        started = time.perf_counter()
        with transaction.atomic():
            loaded += insert_select(
                Order,
                {
                    "shop_id": str(int(shop_id)),
                    "customer_id": "c.id",
                    "platform": "'taobao'",
                    "order_no": "CAST(4000000000000000 + x AS VARCHAR(64))"
                    if dialect.pg
                    else "CAST(4000000000000000 + x AS TEXT)",
                    "status": status,
                    "status_text": status,
                    "amount": dialect.money(cents),
                    "refund_amount": dialect.money(refund_cents),
                    "title": f"(CASE {h} % {len(PRODUCTS)} {titles} END)",
                    "created_at": dialect.before(ago),
                    "paid_at": f"(CASE WHEN {slot} >= 88 AND {slot} < 97 THEN NULL "
                    f"ELSE {dialect.before(f'{ago} - 600')} END)",
                },
                source,
                with_sql=with_sql,
                dialect=dialect,
            )
        print(
            f"  load: orders {start:,}–{end:,} in {time.perf_counter() - started:.1f} s", flush=True
        )
    return loaded


def load_chats(shop_id: int, dialect: Dialect, now: dt.datetime) -> int:
    """A visitor and a conversation for one customer in 20; 1–6 coach-read messages each."""
    from django.db import connection, transaction

    from kefu.chat.models import Conversation, Message, Visitor
    from kefu.customers.models import Customer

    shop = str(int(shop_id))
    with transaction.atomic():
        insert_select(
            Visitor,
            {
                "shop_id": shop,
                "public_id": dialect.uuid("c.id"),
                "nickname": "'访客'",
                "customer_id": "c.id",
            },
            f"{Customer._meta.db_table} c WHERE c.shop_id = {shop} AND c.id % {CHAT_EVERY} = 0",
            dialect=dialect,
        )
        insert_select(
            Conversation,
            {"shop_id": shop, "visitor_id": "v.id", "status": "'closed'", "last_seq": "6"},
            f"{Visitor._meta.db_table} v WHERE v.shop_id = {shop}",
            dialect=dialect,
        )
        metas = " ".join(
            f"WHEN {n} THEN {dialect.json(quoted(json.dumps({'coach': m})))}"
            for n, m in enumerate(COACH_METAS)
        )
        with_sql, seq = dialect.sequence(1, 6)
        count = insert_select(
            Message,
            {
                "shop_id": shop,
                "conversation_id": "k.id",
                "seq": "x",
                "client_id": "'bench-' || CAST(x AS VARCHAR(8))",
                "sender": "'customer'",
                "text": "'在吗？这个能便宜点吗'",
                "meta": f"(CASE (k.id * 7 + x) % {len(COACH_METAS)} {metas} END)",
                "created_at": dialect.before(f"((k.id * 7919 + x) % {300 * 86400})"),
            },
            f"{Conversation._meta.db_table} k CROSS JOIN {seq} WHERE k.shop_id = {shop} "
            f"AND x <= 1 + k.id % 6",
            with_sql=with_sql,
            dialect=dialect,
        )
    if dialect.pg:
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return count


# --- the run ----------------------------------------------------------------------------------


def peak_rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def run_import(owner, rows: int, customers: int, now: dt.datetime) -> tuple[int, float]:  # type: ignore[no-untyped-def]
    from django.utils import timezone

    from kefu.orders import importing

    now_local = timezone.localtime(now).replace(tzinfo=None)
    spent = 0.0
    done = 0
    for first in range(0, rows, FILE_ROWS):
        count = min(FILE_ROWS, rows - first)
        data = import_file(first, count, customers, now_local)
        started = time.perf_counter()
        record = importing.import_orders_file(
            actor=owner,
            filename=f"ExportOrderList{first // FILE_ROWS + 1}.csv",
            data=data,
        )
        spent += time.perf_counter() - started
        done += record.rows
        if record.bad_rows:
            raise RuntimeError(f"bench file had bad rows: {record.errors[:3]}")
        print(f"  import: {done:,}/{rows:,} rows, {done / spent:,.0f} rows/s", flush=True)
    return done, spent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--orders", type=int, default=5_000_000)
    parser.add_argument(
        "--import-rows",
        type=int,
        default=None,
        help="orders to send through the real import (default min(M, 200000))",
    )
    parser.add_argument(
        "--database-url",
        default="",
        help="a PostgreSQL server: the bench creates (and drops) its own database",
    )
    args = parser.parse_args()
    if args.customers < 1 or args.orders < 1:
        parser.error("--customers and --orders must be at least 1")
    import_rows = min(args.orders, 200_000 if args.import_rows is None else args.import_rows)

    with ExitStack() as stack:
        work = Path(tempfile.mkdtemp(prefix="kefu-segbench-"))
        stack.callback(shutil.rmtree, work, ignore_errors=True)
        database_url = temporary_database(args.database_url, stack) if args.database_url else ""
        setup_django(work, database_url)
        from django.db import connection
        from django.utils import timezone

        from kefu.customers.models import Customer, Segment
        from kefu.customers.segments import segment_customers
        from kefu.orders.models import Order

        dialect = Dialect()
        owner = create_shop()
        shop_id = owner.shop_id
        now = timezone.now().replace(microsecond=0)
        dialect.at(now)
        print(
            f"{dialect.name}: {args.customers:,} customers, {args.orders:,} orders "
            f"({work if not database_url else database_url.rsplit('/', 1)[-1]})",
            flush=True,
        )

        print(f"1. import through kefu.orders.importing: {import_rows:,} rows", flush=True)
        imported, import_s = (
            run_import(owner, import_rows, args.customers, now) if import_rows else (0, 0.0)
        )

        print("2. load the rest with set-based INSERT … SELECT (not an import)", flush=True)
        started = time.perf_counter()
        load_customers(shop_id, args.customers, dialect, now)
        if args.orders > import_rows:
            load_orders(shop_id, import_rows, args.orders - 1, args.customers, dialect, now)
        messages = load_chats(shop_id, dialect, now)
        load_s = time.perf_counter() - started
        customers = Customer.objects.filter(shop_id=shop_id).count()
        orders = Order.objects.filter(shop_id=shop_id).count()
        print(
            f"  loaded in {load_s:.1f} s: {customers:,} customers, {orders:,} orders, "
            f"{messages:,} chat messages",
            flush=True,
        )

        print("3. segment_customers over the whole shop", flush=True)
        first = segment_customers(shop_id=shop_id, now=now)
        labels = dict(Segment.choices)
        print(
            f"  {first.seconds:.1f} s, {customers / first.seconds:,.0f} customers/s, "
            f"high-value line ¥{first.high_value_amount}",
            flush=True,
        )
        for value in Segment.values:
            print(f"    {labels[value]:<6} {first.counts.get(value, 0):>10,}")
        second = segment_customers(shop_id=shop_id, now=now + dt.timedelta(days=30))
        moved = sum(second.moves.values())
        print(f"  30 days later: {second.seconds:.1f} s, {moved:,} customers moved", flush=True)
        for move, n in sorted(second.moves.items(), key=lambda item: -item[1])[:6]:
            old, new = move.split(">")
            print(f"    {labels[old]} → {labels[new]}: {n:,}")
        rss = peak_rss_mb()
        print(f"  peak RSS of this process: {rss:,.0f} MB", flush=True)
        result = {
            "customers": customers,
            "orders": orders,
            "messages": messages,
            "database": dialect.name,
            "import_rows": imported,
            "import_s": round(import_s, 2),
            "import_rows_per_s": round(imported / import_s, 1) if import_s else 0.0,
            "load_s": round(load_s, 2),
            "segment_s": round(first.seconds, 3),
            "segment_rows_per_s": round(customers / first.seconds, 1) if first.seconds else 0.0,
            "second_segment_s": round(second.seconds, 3),
            "moves": moved,
            "peak_rss_mb": rss,
            "counts": first.counts,
        }
        connection.close()
    print(json.dumps(result, ensure_ascii=False), flush=True)


if __name__ == "__main__":
    main()
