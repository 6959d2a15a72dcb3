"""Import an order file in a background thread, with progress the page polls.

Where the progress lives, and why (the same on SQLite and PostgreSQL):
- A file goes in whole or not at all, so its orders are written in one transaction. An
  UPDATE of the OrderImport row from inside that transaction is invisible to the poller
  until the commit; from a second connection it would, on SQLite, wait for the write
  lock the import itself holds (a deadlock until busy_timeout). So while the orders are
  written, progress lives only in memory: a process-level dict keyed by the import's id.
- While the file is read and checked there is no transaction yet: the row gets a short
  UPDATE of its own (autocommit) every READ_REPORT_EVERY rows, which a poller served by
  another process (several workers) can read. That poller sees the row's last figures:
  coarse, never wrong. The final figures and the state go into the row at the end.
- The chat writer thread takes SQLite's write lock per message batch; the progress
  UPDATEs hold it for a moment only. The orders are first staged in a temporary table
  outside the lock (orders.storing.staged_orders); the import's transaction holds the
  lock only for the set-based merge (~4 s for a 50 MB file), and the chat writer waits
  for it (busy_timeout 20 s) rather than failing.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kefu.errors import NotFound, ServiceError
from kefu.orders import importing
from kefu.orders.models import OrderImport
from kefu.shops.models import Membership
from kefu.shops.services import require_role

log = logging.getLogger(__name__)

RUNNING, DONE, FAILED = importing.RUNNING, importing.DONE, importing.FAILED
# Phases of a running import: checking rows, writing orders, recomputing segments.
READING, WRITING, SEGMENTING = "reading", "writing", "segmenting"
# A row still "running" this long after it started, with no thread here, was cut off
# (the server stopped mid-import; the transaction rolled back).
STALE_AFTER = dt.timedelta(hours=2)


@dataclass(frozen=True)
class ImportStatus:
    """Where an import stands: its state, and while running the phase and count done of total.

    Reading counts rows (of the preview's total), writing counts orders, segmenting nothing.
    """

    record: OrderImport
    state: str
    phase: str
    done: int
    total: int
    message: str = ""

    @property
    def percent(self) -> int:
        if self.state != RUNNING:
            return 100
        return min(100, self.done * 100 // self.total) if self.total else 0


_live: dict[int, tuple[str, int, int]] = {}  # import id → (phase, done, total)
_live_lock = threading.Lock()
_threads: dict[int, threading.Thread] = {}


def start_import(
    *,
    actor: Membership,
    path: Path,
    filename: str,
    platform: str | None = None,
    mapping: Mapping[str, str] | None = None,
    keep_good_rows: bool = False,
    expected_rows: int = 0,
) -> int:
    """Start importing the file at `path` in the background; the OrderImport's id.

    The job owns the file from now on and deletes it when it ends. `expected_rows` (the
    preview's count) lets the bar move while the rows are read.
    """
    require_role(actor, *importing.IMPORTERS)
    record = OrderImport.objects.create(
        shop_id=actor.shop_id,
        filename=filename[:200],
        platform=platform or "",
        state=RUNNING,
        total_rows=expected_rows,
    )
    _set_live(record.id, READING, 0, expected_rows)
    thread = threading.Thread(
        target=_run,
        name=f"kefu-order-import-{record.id}",
        kwargs={
            "import_id": record.id,
            "actor_id": actor.id,
            "path": path,
            "platform": platform,
            "mapping": dict(mapping or {}),
            "keep_good_rows": keep_good_rows,
        },
    )
    _threads[record.id] = thread
    # The thread reads the row from its own connection: only once it is committed.
    transaction.on_commit(thread.start)
    return record.id


def wait_for(import_id: int, timeout: float) -> bool:
    """Block until the import's thread ends (tests, the shutdown); False if it still runs."""
    thread = _threads.get(import_id)
    if thread is None:
        return True
    thread.join(timeout)
    return not thread.is_alive()


def get_import_for(*, actor: Membership, import_id: int) -> OrderImport:
    """An import of the actor's shop (owners and supervisors only)."""
    require_role(actor, *importing.IMPORTERS)
    record = OrderImport.objects.filter(shop_id=actor.shop_id, id=import_id).first()
    if record is None:
        raise NotFound("no_import", _("没有找到这次导入。"))
    return record


def import_status(*, actor: Membership, import_id: int) -> ImportStatus:
    """How far an import of the actor's shop has got."""
    # The live figures first: read after the row, they may be gone with the job's end.
    with _live_lock:
        live = _live.get(import_id)
    record = get_import_for(actor=actor, import_id=import_id)
    if live is not None:  # still in this process's job (perhaps re-segmenting after commit)
        return ImportStatus(record, RUNNING, *live)
    if record.state != RUNNING:
        rows = record.rows
        return ImportStatus(record, record.state, record.state, rows, rows, record.message)
    if timezone.now() - record.started_at > STALE_AFTER:
        message = _("导入中断了（服务曾重启），没有导入任何订单，请重新导入。")
        return ImportStatus(record, FAILED, FAILED, 0, record.total_rows, message)
    # Another process runs it: the figures it last wrote while reading.
    return ImportStatus(record, RUNNING, READING, record.processed, record.total_rows)


def _set_live(import_id: int, phase: str, done: int, total: int) -> None:
    with _live_lock:
        _live[import_id] = (phase, done, total)


def _run(
    *,
    import_id: int,
    actor_id: int,
    path: Path,
    platform: str | None,
    mapping: dict[str, str],
    keep_good_rows: bool,
) -> None:
    try:
        actor = Membership.objects.select_related("shop").get(id=actor_id)
        record = OrderImport.objects.get(id=import_id, shop_id=actor.shop_id)
        expected = record.total_rows

        def read(rows: int) -> None:
            _set_live(import_id, READING, rows, max(expected, rows))
            # Short and outside the import's transaction: see the module's docstring.
            OrderImport.objects.filter(id=import_id).update(
                processed=rows, total_rows=max(expected, rows)
            )

        data = path.read_bytes()
        path.unlink()  # before any final state: whoever sees "ended" finds the file gone
        record = importing.import_orders_file(
            actor=actor,
            filename=record.filename,
            data=data,
            platform=platform,
            mapping=mapping or None,
            keep_good_rows=keep_good_rows,
            reading=read,
            progress=lambda done, total: _set_live(import_id, WRITING, done, total),
            resegmenting=lambda: _set_live(import_id, SEGMENTING, 0, 0),
            record=record,
        )
    except ServiceError as refusal:
        _fail(import_id, refusal.message)
    except Exception:  # noqa: BLE001 - the job's last word: logged in full, the page told
        log.exception("order import %s failed", import_id)
        _fail(import_id, _("导入出错了，没有导入任何订单。请稍后重试。"))
    finally:
        path.unlink(missing_ok=True)
        with _live_lock:
            _live.pop(import_id, None)
        _threads.pop(import_id, None)
        connection.close()  # this thread's own connection


def _fail(import_id: int, message: str) -> None:
    # Only an import still running: one whose orders committed keeps its outcome.
    OrderImport.objects.filter(id=import_id, state=RUNNING).update(
        state=FAILED, message=message[:300], finished_at=timezone.now()
    )
