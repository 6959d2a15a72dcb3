"""`kefu orders import`: the file goes in as the shop's owner, bad rows written beside it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kefu.cli import app
from kefu.orders.models import Order

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).resolve().parent / "fixtures"


def test_import_command_imports_the_file(make_shop):
    people = make_shop()

    result = CliRunner().invoke(
        app,
        ["orders", "import", "--shop", people.shop.slug, str(FIXTURES / "taobao_orders_gbk.csv")],
    )

    assert result.exit_code == 0, result.output
    assert "新增 5" in result.output
    assert Order.objects.filter(shop=people.shop).count() == 5


def test_import_command_writes_the_bad_rows_and_fails(make_shop, tmp_path):
    people = make_shop()
    file = tmp_path / "bad.csv"
    shutil.copy(FIXTURES / "taobao_bad_number_and_date.csv", file)

    result = CliRunner().invoke(app, ["orders", "import", "--shop", people.shop.slug, str(file)])

    assert result.exit_code == 1
    assert (tmp_path / "bad.csv.errors.csv").exists()
    assert Order.objects.count() == 0
