"""The owner imports a seller export on /desk/orders/import/ and watches it go in."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from kefu.orders.models import Order
from tests.e2e.pages import Desk
from tests.orders.test_importing import big_taobao_csv

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

ROWS = 15_000


def test_the_owner_previews_an_export_imports_it_and_sees_the_bar_finish(
    make_shop, people_browsing, screenshot, output_dir, tmp_path
):
    # Given the owner on the import page, with Taobao's GBK export of 15,000 orders
    people = make_shop()
    export = tmp_path / "淘宝订单报表.csv"
    export.write_bytes(big_taobao_csv(rows=ROWS, buyers=4_000))
    page = people_browsing.new_page()
    Desk.log_in(page, people.owner)
    page.goto("/desk/orders/import/")

    # When they choose the file and ask for a preview
    page.get_by_label("选择文件").set_input_files(str(export))
    page.get_by_role("button", name="上传并预览").click()

    # Then the preview names the platform, counts the rows and maps the Chinese headers
    expect(page.get_by_text("识别为 淘宝 导出的文件")).to_be_visible()
    expect(page.locator('[data-role="preview-rows"]')).to_have_text("共 15000 行，15000 个订单")
    expect(page.get_by_label("买家会员名")).to_have_value("buyer")
    expect(page.get_by_label("全部导入或全部不导入")).to_be_checked()
    expect(page.locator('[data-role="preview-table"] tbody tr')).to_have_count(20)
    screenshot(page, "1-preview")

    # When they press 导入
    page.get_by_role("button", name="导入", exact=True).click()

    # Then a progress bar runs to the end, and the counts show
    expect(page).to_have_url(re.compile(r"/desk/orders/imports/\d+/$"))
    bar = page.locator('progress[data-role="import-bar"]')
    expect(bar).to_be_visible()
    expect(page.locator('[data-role="order-import"]')).to_have_attribute(
        "data-state", "done", timeout=120_000
    )
    expect(bar).to_have_attribute("value", "100")
    expect(page.get_by_text("导入完成")).to_be_visible()
    expect(page.locator('[data-count="created"]')).to_have_text(str(ROWS))
    expect(page.locator('[data-count="bad_rows"]')).to_have_text("0")
    page.screenshot(path=str(output_dir / "e2e" / "order-import.png"), full_page=True)
    assert Order.objects.filter(shop=people.shop).count() == ROWS

    # And the orders page lists the import and the orders
    page.get_by_role("link", name="查看订单").click()
    expect(page.locator('[data-role="imports"]')).to_contain_text("淘宝订单报表.csv")
    expect(page.locator('[data-role="orders"] tbody tr')).to_have_count(50)


def test_the_bar_shows_rows_processed_while_the_import_runs(
    make_shop, people_browsing, screenshot, tmp_path
):
    # Given a preview of a big export
    people = make_shop()
    export = tmp_path / "big.csv"
    export.write_bytes(big_taobao_csv(rows=40_000, buyers=8_000))
    page = people_browsing.new_page()
    Desk.log_in(page, people.owner)
    page.goto("/desk/orders/import/")
    page.get_by_label("选择文件").set_input_files(str(export))
    page.get_by_role("button", name="上传并预览").click()
    expect(page.get_by_text("识别为 淘宝 导出的文件")).to_be_visible(timeout=60_000)

    # When it is imported
    page.get_by_role("button", name="导入", exact=True).click()

    # Then while it runs the label counts the work ("已处理 … / 40,000 行" or the orders)
    label = page.locator('[data-role="import-label"]')
    expect(label).to_have_text(
        re.compile(
            r"已处理 [1-9][\d,]* / 40,000 行|正在写入订单 [\d,]+ / 40,000|正在重新计算客户分层"
        )
    )
    screenshot(page, "running")
    expect(page.locator('[data-role="order-import"]')).to_have_attribute(
        "data-state", "done", timeout=180_000
    )
    expect(page.locator('[data-count="created"]')).to_have_text("40000")
