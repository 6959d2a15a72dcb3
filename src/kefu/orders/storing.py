"""Write read orders: stage them in a temporary table, then merge in a few statements.

Why two phases: on SQLite the transaction that writes the orders holds the database's
one write lock (kefu begins transactions IMMEDIATE), and the chat's writer thread gives
up after its busy_timeout (20 s). Copying a 200 MB file's rows from Python takes far
longer than that, so it goes into a TEMPORARY table first, which lives in SQLite's
separate temp database (and is private to the session on PostgreSQL): no lock on the
shop's tables. The merge that follows creates the missing customers and upserts every
order set-based, in one short transaction, whatever the file's size.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace

from django.db import connection, transaction
from django.db.models import NOT_PROVIDED
from django.utils import timezone

from kefu.customers.models import Customer
from kefu.orders.models import Order
from kefu.orders.order_rows import OrderDraft

CHUNK = 1000
Progress = Callable[[int, int], None]
# The order's columns as the drafts carry them, in the staging table and the upsert.
_DRAFT_FIELDS = [
    "order_no",
    "status",
    "status_text",
    "amount",
    "refund_amount",
    "title",
    "created_at",
    "paid_at",
    "receiver_name",
    "receiver_phone",
    "receiver_address",
]
_UPDATED_FIELDS = [f for f in _DRAFT_FIELDS if f != "order_no"] + ["customer", "imported_at"]
# A new customer's columns the merge fills itself; every other column gets its default.
_CUSTOMER_GIVEN = {"id", "shop", "platform", "nickname", "name", "phone", "address"}
_CUSTOMER_TIMES = {"created_at", "updated_at"}


def merge_repeated_orders(drafts: Sequence[OrderDraft]) -> list[OrderDraft]:
    """One draft per order number, in file order.

    JD (and Taobao's item report) write one row per item of an order, repeating the
    order's own columns; the items' titles are joined, the rest comes from the first row.
    """
    merged: dict[str, OrderDraft] = {}
    for draft in drafts:
        first = merged.get(draft.order_no)
        if first is None:
            merged[draft.order_no] = draft
        elif draft.title and draft.title not in first.title.split("；"):
            title = f"{first.title}；{draft.title}" if first.title else draft.title
            merged[draft.order_no] = replace(first, title=title[:500])
    return list(merged.values())


def store_orders(
    *,
    shop_id: int,
    platform: str,
    drafts: Sequence[OrderDraft],
    progress: Progress | None = None,
) -> tuple[int, int]:
    """Insert new orders and update known ones (by order number); (created, updated).

    Re-storing the same drafts changes nothing but `imported_at`, so an import run twice
    leaves one copy of each order. The drafts must be merged (`merge_repeated_orders`).
    Inside the caller's transaction the staging runs in it too; on SQLite that holds the
    write lock throughout, so a big import stages first with `staged_orders`.
    """
    with staged_orders(shop_id=shop_id, platform=platform, drafts=drafts, progress=progress) as s:
        return s.merge()


@dataclass(frozen=True)
class StagedOrders:
    """Drafts waiting in the session's staging table, to merge into the shop's orders."""

    shop_id: int
    platform: str
    count: int

    def merge(self) -> tuple[int, int]:
        """Create the new buyers' customers and upsert the orders, atomically; (created, updated).

        A constant number of statements, however many orders. A new customer takes the
        name, phone and address of their first order in the file; a known one keeps theirs
        (the archive may hold what an agent corrected).
        """
        if not self.count:
            return 0, 0
        ops = connection.ops
        now = ops.adapt_datetimefield_value(timezone.now())
        scope = [self.shop_id, self.platform]
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(_count_known_sql(), scope)
            updated = cursor.fetchone()[0]
            defaults = _customer_defaults()
            cursor.execute(
                _insert_customers_sql(list(defaults)),
                [*scope, *defaults.values(), now, now, *scope],
            )
            cursor.execute(_upsert_orders_sql(), [*scope, now, *scope])
        return self.count - updated, updated


@contextmanager
def staged_orders(
    *,
    shop_id: int,
    platform: str,
    drafts: Sequence[OrderDraft],
    progress: Progress | None = None,
) -> Iterator[StagedOrders]:
    """Copy the drafts into a temporary table, CHUNK at a time, telling `progress`; drop it after.

    Call it before the transaction that merges, so that on SQLite the copying holds no
    write lock (each chunk commits to the temp database on its own):

        with staged_orders(…) as staged, transaction.atomic():
            created, updated = staged.merge()
    """
    if not drafts:
        yield StagedOrders(shop_id, platform, 0)
        return
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {_staged()}")  # left by a failed run
        cursor.execute(_create_staged_sql())
    try:
        _copy_drafts(drafts, progress)
        yield StagedOrders(shop_id, platform, len(drafts))
    except BaseException:
        # Inside the caller's transaction the table goes with its rollback; PostgreSQL
        # refuses any statement until then.
        if not connection.in_atomic_block:
            _drop_staged()
        raise
    _drop_staged()


def _copy_drafts(drafts: Sequence[OrderDraft], progress: Progress | None) -> None:
    ops = connection.ops
    total = len(drafts)
    columns = ", ".join(_STAGED_COLUMNS)
    with connection.cursor() as cursor:
        for start in range(0, total, CHUNK):
            rows = [
                (
                    seq,
                    d.buyer,
                    d.order_no,
                    d.status,
                    d.status_text,
                    d.amount,
                    d.refund_amount,
                    d.title,
                    ops.adapt_datetimefield_value(d.created_at),
                    ops.adapt_datetimefield_value(d.paid_at),
                    d.receiver_name,
                    d.receiver_phone,
                    d.receiver_address,
                )
                for seq, d in enumerate(drafts[start : start + CHUNK], start=start)
            ]
            if connection.vendor == "postgresql":
                # Django wraps execute's errors, not COPY's: IntegrityError, not psycopg's.
                with (
                    connection.wrap_database_errors,
                    cursor.copy(f"COPY {_staged()} ({columns}) FROM STDIN") as copy,
                ):
                    for row in rows:
                        copy.write_row(row)
            else:
                marks = ", ".join(["%s"] * len(_STAGED_COLUMNS))
                # A transaction per chunk, not per row: out of Django's (IMMEDIATE) ones, a
                # SAVEPOINT begins a DEFERRED one, which locks only the temp database it
                # writes. Per row, each commit journals the pages reused from an earlier
                # import's staging: 12 s instead of 3 for a 50 MB file.
                cursor.execute("SAVEPOINT kefu_staging")
                try:
                    cursor.executemany(
                        f"INSERT INTO {_staged()} ({columns}) VALUES ({marks})", rows
                    )
                except BaseException:
                    cursor.execute("ROLLBACK TO kefu_staging")
                    raise
                finally:
                    cursor.execute("RELEASE kefu_staging")
            if progress is not None:
                progress(start + len(rows), total)


def _drop_staged() -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {_staged()}")


# --- SQL -----------------------------------------------------------------------------------
# Raw SQL because the ORM has no INSERT … SELECT, and its bulk_create(update_conflicts=True)
# spent three quarters of a 50 MB import compiling per-value SQL. Both SQLite (≥ 3.25) and
# PostgreSQL run every statement below.

_STAGED_COLUMNS = ["seq", "buyer", *_DRAFT_FIELDS]


def _staged() -> str:
    """The staging table, named in the session's temporary schema (never a real table)."""
    schema = "pg_temp" if connection.vendor == "postgresql" else "temp"
    return f"{schema}.kefu_staged_orders"


def _create_staged_sql() -> str:
    # The orders' own column types: the same conversions and, on PostgreSQL, the same
    # length checks as writing the orders directly. Order numbers are unique: merged.
    types = {name: Order._meta.get_field(name).db_type(connection) for name in _DRAFT_FIELDS}
    types["order_no"] += " NOT NULL UNIQUE"
    buyer = Customer._meta.get_field("nickname").db_type(connection)
    columns = ", ".join(f"{_qn(name)} {kind}" for name, kind in types.items())
    return (
        f"CREATE TEMPORARY TABLE {_staged()} "
        f"(seq integer PRIMARY KEY, buyer {buyer} NOT NULL, {columns})"
    )


def _customer_defaults() -> dict[str, object]:
    """Column → value for every NOT NULL customer column the merge does not fill itself.

    Django's defaults live in Python, not in the schema, so raw SQL must supply them; a
    new NOT NULL column without a default fails here loudly instead of being guessed.
    """
    defaults = {}
    for field in Customer._meta.concrete_fields:
        if field.name in _CUSTOMER_GIVEN | _CUSTOMER_TIMES or field.null:
            continue
        if field.db_default is not NOT_PROVIDED:
            continue
        if not field.has_default() and not field.empty_strings_allowed:
            raise LookupError(f"Customer.{field.name} needs a value for imported buyers")
        defaults[field.column] = field.get_db_prep_save(field.get_default(), connection)
    return defaults


def _count_known_sql() -> str:
    """How many staged order numbers the shop already has (params: shop, platform)."""
    order = Order._meta
    return (
        f"SELECT COUNT(*) FROM {_staged()} s WHERE EXISTS (SELECT 1 FROM {_qn(order.db_table)} o "
        "WHERE o.shop_id = %s AND o.platform = %s AND o.order_no = s.order_no)"
    )


def _insert_customers_sql(default_columns: list[str]) -> str:
    """The buyers the shop does not know yet, with their first order's details.

    Params: shop, platform, the defaults, created_at, updated_at, shop, platform. The
    NOT EXISTS keeps PostgreSQL from spending ids on known buyers; ON CONFLICT covers a
    parallel import that creates the same customer first.
    """
    table = _qn(Customer._meta.db_table)
    columns = [
        "shop_id",
        "platform",
        "nickname",
        "name",
        "phone",
        "address",
        *default_columns,
        "created_at",
        "updated_at",
    ]
    values = ", ".join(["%s"] * (len(default_columns) + 2))
    return (
        f"INSERT INTO {table} ({', '.join(map(_qn, columns))}) "
        f"SELECT %s, %s, f.buyer, f.receiver_name, f.receiver_phone, f.receiver_address, "
        f"{values} FROM ("
        "SELECT seq, buyer, receiver_name, receiver_phone, receiver_address, "
        "ROW_NUMBER() OVER (PARTITION BY buyer ORDER BY seq) AS nth "
        f"FROM {_staged()} WHERE buyer <> ''"
        ") f "
        f"WHERE f.nth = 1 AND NOT EXISTS (SELECT 1 FROM {table} c "
        "WHERE c.shop_id = %s AND c.platform = %s AND c.nickname = f.buyer) "
        # The WHERE above also settles SQLite's parsing ambiguity of ON after a FROM.
        "ORDER BY f.seq "
        "ON CONFLICT (shop_id, platform, nickname) DO NOTHING"
    )


def _upsert_orders_sql() -> str:
    """Every staged order in, or over the known one (params: shop, platform, now, shop, platform)."""
    order = Order._meta
    columns = [order.get_field(name).column for name in _DRAFT_FIELDS]
    updated = [order.get_field(name).column for name in _UPDATED_FIELDS]
    return (
        f"INSERT INTO {_qn(order.db_table)} (shop_id, platform, customer_id, imported_at, "
        f"{', '.join(map(_qn, columns))}) "
        f"SELECT %s, %s, c.id, %s, {', '.join(f's.{_qn(c)}' for c in columns)} "
        f"FROM {_staged()} s LEFT JOIN {_qn(Customer._meta.db_table)} c "
        "ON c.shop_id = %s AND c.platform = %s AND c.nickname = s.buyer AND s.buyer <> '' "
        "WHERE true ORDER BY s.seq "  # WHERE: SQLite reads ON CONFLICT as the join's ON else
        "ON CONFLICT (shop_id, platform, order_no) DO UPDATE SET "
        + ", ".join(f"{_qn(c)} = excluded.{_qn(c)}" for c in updated)
    )


def _qn(name: str) -> str:
    return connection.ops.quote_name(name)
