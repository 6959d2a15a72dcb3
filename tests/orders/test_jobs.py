"""Background imports: progress a page can poll, the final figures, failures, the file's fate.

The job runs in its own thread and connection, so these tests commit (transaction=True).
"""

from __future__ import annotations

import shutil
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from kefu.errors import Forbidden, NotFound
from kefu.orders import jobs
from kefu.orders.models import Order, OrderImport
from tests.orders.test_importing import big_taobao_csv

pytestmark = pytest.mark.django_db(transaction=True)

FIXTURES = Path(__file__).resolve().parent / "fixtures"


def staged(tmp_path: Path, name: str) -> Path:
    path = tmp_path / f"{name}.upload"
    shutil.copy(FIXTURES / name, path)
    return path


def poll_until_ended(actor, import_id: int, timeout: float = 60) -> list[jobs.ImportStatus]:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    seen = []
    while time.monotonic() < deadline:
        status = jobs.import_status(actor=actor, import_id=import_id)
        seen.append(status)
        if status.state != jobs.RUNNING:
            return seen
        time.sleep(0.01)
    raise AssertionError(f"still running: {seen[-1]}")


def test_a_big_import_reports_rows_read_then_orders_written_until_done(make_shop, tmp_path):
    # Given a 12,000-row export, previewed (so its row count is known)
    people = make_shop()
    path = tmp_path / "big.upload"
    path.write_bytes(big_taobao_csv(rows=12_000, buyers=3_000))

    # When it is imported in the background and polled like the page does
    import_id = jobs.start_import(
        actor=people.owner, path=path, filename="big.csv", expected_rows=12_000
    )
    seen = poll_until_ended(people.owner, import_id)
    rows_while_reading = [s.done for s in seen if s.phase == jobs.READING]
    orders_while_writing = [s.done for s in seen if s.phase == jobs.WRITING]

    # Then the bar moved through the rows, then through the orders, never backwards
    assert any(0 < done < 12_000 for done in rows_while_reading), rows_while_reading
    assert orders_while_writing, [s.phase for s in seen]
    assert rows_while_reading == sorted(rows_while_reading), sorted(set(rows_while_reading))
    assert orders_while_writing == sorted(orders_while_writing)
    assert all(s.total == 12_000 for s in seen if s.phase in (jobs.READING, jobs.WRITING))
    # And it ended done, with the final figures in the row, and the file gone
    final = seen[-1]
    assert (final.state, final.percent) == (jobs.DONE, 100)
    record = OrderImport.objects.get(id=import_id)
    assert (record.state, record.rows, record.created, record.processed) == (
        "done",
        12_000,
        12_000,
        12_000,
    )
    assert record.platform == "taobao"
    assert Order.objects.filter(shop=people.shop).count() == 12_000
    assert not path.exists()


def test_rows_read_are_written_to_the_row_for_pollers_in_other_processes(make_shop, tmp_path):
    people = make_shop()
    path = tmp_path / "big.upload"
    path.write_bytes(big_taobao_csv(rows=8_000, buyers=1_000))

    import_id = jobs.start_import(actor=people.owner, path=path, filename="big.csv")
    stored_while_running = set()
    deadline = time.monotonic() + 60
    while (row := OrderImport.objects.get(id=import_id)).state == jobs.RUNNING:
        assert time.monotonic() < deadline, "the import never ended"
        stored_while_running.add(row.processed)
        time.sleep(0.01)

    assert stored_while_running & {2_000, 4_000, 6_000}, stored_while_running


def test_a_file_with_bad_rows_fails_whole_and_is_deleted(make_shop, tmp_path):
    people = make_shop()
    path = staged(tmp_path, "taobao_bad_number_and_date.csv")

    import_id = jobs.start_import(actor=people.owner, path=path, filename="bad.csv")
    final = poll_until_ended(people.owner, import_id)[-1]

    assert final.state == jobs.FAILED
    assert "2 行有问题" in final.message
    record = OrderImport.objects.get(id=import_id)
    assert (record.created, record.bad_rows, len(record.errors)) == (0, 2, 2)
    assert Order.objects.count() == 0
    assert not path.exists()


def test_keeping_good_rows_ends_done_with_an_error_file(make_shop, tmp_path):
    people = make_shop()
    path = staged(tmp_path, "taobao_bad_number_and_date.csv")

    import_id = jobs.start_import(
        actor=people.owner, path=path, filename="bad.csv", keep_good_rows=True
    )
    final = poll_until_ended(people.owner, import_id)[-1]

    assert final.state == jobs.DONE
    record = jobs.get_import_for(actor=people.owner, import_id=import_id)
    assert (record.created, record.bad_rows) == (2, 2)
    assert bytes(record.error_file).startswith("\ufeff原行号".encode())


def test_a_file_the_service_refuses_fails_with_its_reason(make_shop, tmp_path):
    people = make_shop()
    path = tmp_path / "x.upload"
    path.write_bytes("订单编号,买家\n1,a\n".encode())

    import_id = jobs.start_import(actor=people.owner, path=path, filename="x.csv")
    final = poll_until_ended(people.owner, import_id)[-1]

    assert final.state == jobs.FAILED
    assert "认不出这是哪个平台" in final.message, final.message
    assert not path.exists()


def test_agents_cannot_start_or_watch_imports(make_shop, tmp_path):
    people = make_shop()
    path = staged(tmp_path, "taobao_orders_gbk.csv")

    with pytest.raises(Forbidden):
        jobs.start_import(actor=people.agent, path=path, filename="a.csv")
    import_id = jobs.start_import(actor=people.supervisor, path=path, filename="a.csv")
    poll_until_ended(people.supervisor, import_id)

    with pytest.raises(Forbidden):
        jobs.import_status(actor=people.agent, import_id=import_id)
    assert OrderImport.objects.count() == 1


def test_another_shops_import_is_not_found(make_shop):
    ours, theirs = make_shop(), make_shop()
    theirs_import = OrderImport.objects.create(shop=theirs.shop, filename="t.csv", platform="jd")

    with pytest.raises(NotFound):
        jobs.import_status(actor=ours.owner, import_id=theirs_import.id)


def test_an_import_cut_off_by_a_restart_reads_as_failed(make_shop):
    people = make_shop()
    record = OrderImport.objects.create(
        shop=people.shop, filename="t.csv", platform="taobao", state="running"
    )
    OrderImport.objects.filter(id=record.id).update(
        started_at=timezone.now() - jobs.STALE_AFTER - timedelta(minutes=1)
    )

    status = jobs.import_status(actor=people.owner, import_id=record.id)

    assert status.state == jobs.FAILED and "重新导入" in status.message
