"""Segments after orders pushed by a shop's site: in the background, at most every 10 minutes.

A site may push a few orders every minute; recomputing a large shop's segments takes
tens of seconds (bench/segments_bench.py: ~30–50 s at 1,000,000 customers), so a push
never waits for it. After a push commits, a pass starts in a thread of its own unless
one ran for the shop in the last PUSH_RESEGMENT_EVERY or one is running now; the orders
pushed meanwhile are counted by the next pass (or `kefu customers segment`).
"""

from __future__ import annotations

import datetime as dt
import logging
import threading

from django.db import connection, transaction
from django.utils import timezone

from kefu.customers.models import SegmentRun

log = logging.getLogger(__name__)

PUSH_RESEGMENT_EVERY = dt.timedelta(minutes=10)
THREAD_PREFIX = "kefu-resegment-"

_running: set[int] = set()
_running_lock = threading.Lock()


def resegment_after_push(*, shop_id: int) -> None:
    """Once the caller's transaction commits, start a background pass if one is due."""
    transaction.on_commit(lambda: _start_if_due(shop_id), robust=True)


def _start_if_due(shop_id: int) -> threading.Thread | None:
    last = (
        SegmentRun.objects.filter(shop_id=shop_id)
        .order_by("-computed_at")
        .values_list("computed_at", flat=True)
        .first()
    )
    if last is not None and timezone.now() - last < PUSH_RESEGMENT_EVERY:
        return None
    with _running_lock:
        if shop_id in _running:
            return None
        _running.add(shop_id)
    thread = threading.Thread(
        target=_resegment, args=(shop_id,), name=f"{THREAD_PREFIX}{shop_id}", daemon=True
    )
    thread.start()
    return thread


def _resegment(shop_id: int) -> None:
    from kefu.customers import segments  # lazily: the pass reads the shop's rules and orders

    try:
        run = segments.segment_customers(shop_id=shop_id)
        log.info("shop %s resegmented after a push: %s customers", shop_id, run.customers)
    except Exception:  # a thread has no caller to tell: log it, the next pass retries
        log.exception("resegmenting shop %s after a push failed", shop_id)
    finally:
        connection.close()  # this thread's own connection
        with _running_lock:
            _running.discard(shop_id)
