"""Segment a shop's customers in one set-based pass: figures, the segment, the suggestion.

`segment_customers` runs a fixed handful of statements whatever the shop's size (no
Python loop over customers), on SQLite and PostgreSQL alike:

1. one CREATE TEMP TABLE … AS SELECT holds every customer's figures over the window
   (orders, and the chats of the visitors linked to the customer) beside their old
   segment;
2. the high-value line: the shop's own quantile of net spend (or the owner's amount);
3. one GROUP BY counts the segments and the moves old → new;
4. one UPDATE … FROM writes figures, segment, suggestion and time: each customer row is
   rewritten once (on PostgreSQL every rewrite also goes into each of its indexes).

The rule itself is `kefu.customers.rules.segment_for` / `suggested_buying_for`, written
here as SQL CASE; tests check the two agree customer by customer. Money is compared in
whole cents and shares as integer ratios, so the SQL and the Python Decimal agree exactly
at the boundaries; the float thresholds are bound as floats so both sides round alike.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal
from typing import Any

from django.db import connection, transaction
from django.db.models import Count, F, Max, Q, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from kefu.chat.models import Message, SenderKind
from kefu.customers import rules as segment_rules
from kefu.customers.models import (
    BuyingBehaviour,
    Customer,
    Segment,
    SegmentRun,
    SegmentSettings,
)
from kefu.orders.models import Order, OrderStatus

CHITCHAT_INTENTS = ("greeting", "other", "closing")
REFUND_STATUSES = (OrderStatus.REFUNDING, OrderStatus.REFUNDED)
SQLITE_CACHE_KIB = 256 * 1024
FIGURES = "kefu_segment_figures"  # the pass's temporary table (one per connection)
WRITE_BATCH = 50_000
_shop_locks: dict[int, threading.Lock] = {}
_locks_guard = threading.Lock()  # customer ids per write transaction


@dataclass(frozen=True)
class _Thresholds:
    window_days: int
    quantile: float
    fixed_amount: Decimal | None
    repeat_orders: int
    refund_share: float
    incidents_per_order: float


def segment_customers(*, shop_id: int, now: dt.datetime | None = None) -> SegmentRun:
    """Recompute every customer's figures and segment of one shop; the run's record."""
    with _one_pass_at_a_time(shop_id):
        return _segment(shop_id, now)


@contextmanager
def _one_pass_at_a_time(shop_id: int) -> Iterator[None]:
    """An import's pass, a push's and the page button's may meet: in one process they run
    one after the other, so each counts its moves against the segments the last one left."""
    with _locks_guard:
        lock = _shop_locks.setdefault(shop_id, threading.Lock())
    with lock:
        yield


def _segment(shop_id: int, now: dt.datetime | None) -> SegmentRun:
    started = time.perf_counter()
    now = now or timezone.now()
    with _sqlite_page_cache(), connection.cursor() as cursor:
        limits = _thresholds(shop_id)
        since = now - dt.timedelta(days=limits.window_days)
        # Read outside any transaction: the figures go to a temporary table, which on
        # SQLite lives in its own file, so the live chat keeps writing meanwhile.
        _collect_figures(cursor, shop_id, since, now)
        try:
            line = limits.fixed_amount
            if line is None:
                line = _quantile_line(cursor, limits.quantile)
            case_sql, case_params = _segment_case(limits, line)
            counts, moves, customers = _counts_and_moves(cursor, case_sql, case_params)
            _write_customers(cursor, case_sql, case_params, now)
            return SegmentRun.objects.create(
                shop_id=shop_id,
                window_days=limits.window_days,
                high_value_amount=line,
                counts=counts,
                moves=moves,
                customers=customers,
                seconds=round(time.perf_counter() - started, 3),
            )
        finally:
            cursor.execute(f"DROP TABLE IF EXISTS {FIGURES}")


@contextmanager
def _sqlite_page_cache() -> Iterator[None]:
    """On SQLite, a bigger page cache for the pass (2 MB by default: every page of a
    million-row UPDATE would go back and forth through the WAL file)."""
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        before = int(cursor.fetchone()[0])
        cursor.execute(f"PRAGMA cache_size = {-SQLITE_CACHE_KIB}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA cache_size = {before}")


def _thresholds(shop_id: int) -> _Thresholds:
    settings = SegmentSettings.objects.filter(shop_id=shop_id).first() or SegmentSettings()
    return _Thresholds(
        window_days=settings.window_days,
        quantile=settings.high_value_quantile,
        fixed_amount=settings.high_value_amount,
        repeat_orders=settings.repeat_orders,
        refund_share=settings.burden_refund_share,
        incidents_per_order=settings.burden_incidents_per_order,
    )


# --- 1. the figures ---------------------------------------------------------------------------


def _order_figures(shop_id: int, since: dt.datetime, now: dt.datetime) -> tuple[str, tuple]:
    """Per customer: window figures of paid and unpaid orders, and paid orders ever."""
    unpaid = Q(status=OrderStatus.UNPAID) | Q(status=OrderStatus.CLOSED, paid_at__isnull=True)
    in_window = Q(created_at__gt=since, created_at__lte=now) | Q(
        created_at__isnull=True, paid_at__gt=since, paid_at__lte=now
    )
    paid_in_window = ~unpaid & in_window
    refunded = Q(refund_amount__gt=0) | Q(status__in=REFUND_STATUSES)
    query = (
        Order.objects.filter(shop_id=shop_id, customer_id__isnull=False)
        .order_by()
        .values(buyer_id=F("customer_id"))
        .annotate(
            o_orders=Count("id", filter=paid_in_window),
            o_spend=Sum("amount", filter=paid_in_window),
            o_refunds=Count("id", filter=paid_in_window & refunded),
            o_refund_amount=Sum("refund_amount", filter=paid_in_window),
            o_unpaid=Count("id", filter=unpaid & in_window),
            o_total=Count("id", filter=~unpaid),
            o_last=Max(Coalesce("created_at", "paid_at"), filter=~unpaid),
        )
    )
    sql, params = query.query.sql_with_params()
    if connection.vendor == "sqlite":
        # Without statistics SQLite walks the (shop, created_at) index and fetches every
        # order by rowid, at random: a thousand times more page reads than one pass over
        # the table. A shop's segmentation reads all its orders; read them in table order.
        table = connection.ops.quote_name(Order._meta.db_table)
        sql = sql.replace(f"FROM {table} WHERE", f"FROM {table} NOT INDEXED WHERE", 1)
    return sql, params


def _chat_figures(shop_id: int, since: dt.datetime, now: dt.datetime) -> tuple[str, tuple]:
    """Per linked customer: their messages in the window, as the coach read them."""
    query = (
        Message.objects.filter(
            shop_id=shop_id,
            sender=SenderKind.CUSTOMER,
            created_at__gt=since,
            created_at__lte=now,
            conversation__visitor__customer_id__isnull=False,
        )
        .order_by()
        .values(buyer_id=F("conversation__visitor__customer_id"))
        .annotate(
            m_messages=Count("id"),
            m_complaints=Count("id", filter=Q(meta__coach__intent="complaint")),
            m_haggles=Count("id", filter=Q(meta__coach__objection_type="price")),
            m_chitchat=Count("id", filter=Q(meta__coach__intent__in=CHITCHAT_INTENTS)),
        )
    )
    return query.query.sql_with_params()


def _collect_figures(cursor: Any, shop_id: int, since: dt.datetime, now: dt.datetime) -> None:
    table = connection.ops.quote_name(Customer._meta.db_table)
    orders_sql, orders_params = _order_figures(shop_id, since, now)
    chats_sql, chats_params = _chat_figures(shop_id, since, now)
    cursor.execute(f"DROP TABLE IF EXISTS {FIGURES}")  # left by a pass that failed
    cursor.execute(
        f"""
        CREATE TEMPORARY TABLE {FIGURES} AS
        SELECT c.id AS cid,
               c.segment AS old_segment,
               CASE WHEN c.segmented_at IS NULL THEN 1 ELSE 0 END AS first_time,
               COALESCE(o.o_orders, 0) AS o_orders,
               COALESCE(o.o_spend, 0) AS o_spend,
               COALESCE(o.o_refunds, 0) AS o_refunds,
               COALESCE(o.o_refund_amount, 0) AS o_refund_amount,
               COALESCE(o.o_unpaid, 0) AS o_unpaid,
               COALESCE(o.o_total, 0) AS o_total,
               o.o_last AS o_last,
               COALESCE(m.m_messages, 0) AS m_messages,
               COALESCE(m.m_complaints, 0) AS m_complaints,
               COALESCE(m.m_haggles, 0) AS m_haggles,
               COALESCE(m.m_chitchat, 0) AS m_chitchat
        FROM {table} c
        LEFT JOIN ({orders_sql}) o ON o.buyer_id = c.id
        LEFT JOIN ({chats_sql}) m ON m.buyer_id = c.id
        WHERE c.shop_id = %s
        """,
        [*orders_params, *chats_params, shop_id],
    )
    # The write goes by ranges of customer ids: each range finds its figures by index.
    cursor.execute(f"CREATE INDEX {FIGURES}_cid ON {FIGURES} (cid)")
    if connection.vendor == "postgresql":
        cursor.execute(f"ANALYZE {FIGURES}")  # a fresh table has no statistics


# --- 2. the high-value line -------------------------------------------------------------------


def _quantile_line(cursor: Any, quantile: float) -> Decimal:
    """The shop's `quantile` of net spend among customers who bought in the window.

    The "lower" quantile: the value at position ⌊q·(n−1)⌋ of the ascending list, so
    at least one customer (the top one) is always at or above the line.
    """
    cursor.execute(f"SELECT COUNT(*) FROM {FIGURES} WHERE o_orders > 0")
    buyers = cursor.fetchone()[0]
    if not buyers:
        return Decimal("0")
    position = int((Decimal(str(quantile)) * (buyers - 1)).to_integral_value(ROUND_FLOOR))
    # Counted from the top: the sort keeps only the customers above the line.
    cursor.execute(
        f"SELECT {_cents('o_spend')} - {_cents('o_refund_amount')} AS net FROM {FIGURES} "
        f"WHERE o_orders > 0 ORDER BY net DESC LIMIT 1 OFFSET %s",
        [buyers - 1 - position],
    )
    cents = cursor.fetchone()[0]
    return (Decimal(int(cents)) / 100).quantize(Decimal("0.01"))


# --- 3 and 4. the segment ---------------------------------------------------------------------


def _cents(column: str) -> str:
    """A money column as whole cents (exact on both databases)."""
    return f"CAST(ROUND({column} * 100) AS BIGINT)"


def _segment_case(limits: _Thresholds, line: Decimal) -> tuple[str, list[Any]]:
    """`segment_for` as SQL over the figures table's columns."""
    spend = _cents("o_spend")
    refunded = _cents("o_refund_amount")
    share_num, share_den = Decimal(str(limits.refund_share)).as_integer_ratio()
    line_cents = int(Decimal(line) * 100)
    repeat = int(limits.repeat_orders)
    incidents = "o_refunds + m_complaints + m_haggles"
    sql = f"""CASE
        WHEN o_orders = 0 THEN '{Segment.NONE.value}'
        WHEN {spend} > 0 AND {refunded} * {int(share_den)} >= {spend} * {int(share_num)}
            THEN '{Segment.BURDEN.value}'
        WHEN {incidents} >= CAST(%s AS DOUBLE PRECISION) * o_orders
            THEN '{Segment.BURDEN.value}'
        WHEN {spend} - {refunded} >= {line_cents} THEN
            CASE WHEN o_orders >= {repeat} THEN '{Segment.GOLD.value}'
                 ELSE '{Segment.METEOR.value}' END
        WHEN o_orders >= {repeat} THEN '{Segment.SMALL_STAR.value}'
        ELSE '{Segment.NEW.value}'
    END"""
    return sql, [float(limits.incidents_per_order)]


def _suggestion_case() -> tuple[str, list[Any]]:
    """`suggested_buying_for` as SQL over the figures table's columns."""
    r = segment_rules
    share = "CAST(%s AS DOUBLE PRECISION)"
    sql = f"""CASE
        WHEN o_unpaid >= {int(r.NEVER_PAYS_MIN_UNPAID)} AND o_unpaid > o_orders
            THEN '{BuyingBehaviour.NEVER_PAYS.value}'
        WHEN m_haggles >= {int(r.HAGGLER_MIN_PRICE_OBJECTIONS)}
             AND m_haggles >= {share} * (CASE WHEN m_messages > 1 THEN m_messages ELSE 1 END)
            THEN '{BuyingBehaviour.HAGGLER.value}'
        WHEN m_messages >= {int(r.SOCIAL_MIN_MESSAGES)} AND m_chitchat >= {share} * m_messages
            THEN '{BuyingBehaviour.SOCIAL.value}'
        WHEN o_orders >= {int(r.STRAIGHT_MIN_ORDERS)} AND m_messages = 0
            THEN '{BuyingBehaviour.STRAIGHT.value}'
        ELSE ''
    END"""
    return sql, [float(r.HAGGLER_MIN_SHARE), float(r.SOCIAL_MIN_CHITCHAT_SHARE)]


def _counts_and_moves(
    cursor: Any, case_sql: str, case_params: list[Any]
) -> tuple[dict[str, int], dict[str, int], int]:
    cursor.execute(
        f"SELECT old_segment, first_time, {case_sql} AS new_segment, COUNT(*) FROM {FIGURES} "
        f"GROUP BY old_segment, first_time, new_segment",
        case_params,
    )
    counts = {value: 0 for value in Segment.values}
    moves: dict[str, int] = {}
    for old, first_time, new, n in cursor.fetchall():
        counts[new] += n
        if not first_time and old != new:
            moves[f"{old}>{new}"] = moves.get(f"{old}>{new}", 0) + n
    return counts, moves, sum(counts.values())


def _write_customers(cursor: Any, case_sql: str, case_params: list[Any], now: dt.datetime) -> None:
    """Each customer row rewritten once, with everything the pass decided.

    By ranges of WRITE_BATCH customer ids, a short transaction each: the write lock
    (SQLite) or the rows' locks (PostgreSQL) are held for about a second at a time, so
    chat messages and agents' edits go on during a big shop's pass. A pass cut short
    leaves some customers with the old figures until the next one.
    """
    table = connection.ops.quote_name(Customer._meta.db_table)
    suggestion_sql, suggestion_params = _suggestion_case()
    cursor.execute(f"SELECT MIN(cid), MAX(cid) FROM {FIGURES}")
    low, high = cursor.fetchone()
    if low is None:
        return
    params = [*case_params, *suggestion_params, connection.ops.adapt_datetimefield_value(now)]
    for start in range(low - 1, high, WRITE_BATCH):
        end = start + WRITE_BATCH
        with transaction.atomic():
            cursor.execute(
                _update_sql(table, case_sql, suggestion_sql), [*params, start, end, start, end]
            )


def _update_sql(table: str, case_sql: str, suggestion_sql: str) -> str:
    return f"""
        UPDATE {table} SET
            seg_orders = o_orders,
            seg_spend = o_spend,
            seg_refunds = o_refunds,
            seg_refund_amount = o_refund_amount,
            seg_unpaid = o_unpaid,
            total_orders = o_total,
            last_order_at = o_last,
            seg_messages = m_messages,
            seg_complaints = m_complaints,
            seg_haggles = m_haggles,
            seg_chitchat = m_chitchat,
            segment = {case_sql},
            suggested_buying = {suggestion_sql},
            segmented_at = %s
        FROM {FIGURES}
        WHERE {table}.id = {FIGURES}.cid
          AND {FIGURES}.cid > %s AND {FIGURES}.cid <= %s
          AND {table}.id > %s AND {table}.id <= %s
        """
