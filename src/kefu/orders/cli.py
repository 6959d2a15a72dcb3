"""`kefu orders import --shop SLUG FILE`: import a seller export with a progress bar."""

from __future__ import annotations

import os
import time
from pathlib import Path

import typer

app = typer.Typer(help="Orders: import CSV/XLSX exports from Taobao/Tmall, JD, Pinduoduo.")


@app.command("import")
def import_file(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help="the exported file"),
    shop: str = typer.Option(..., "--shop", help="the shop's slug"),
    platform: str | None = typer.Option(
        None, help="taobao | tmall | jd | pdd | site (detected from the headers if left out)"
    ),
    keep_good_rows: bool = typer.Option(
        False, "--keep-good-rows", help="import the good rows even if some are bad"
    ),
) -> None:
    """Import one order file for a shop, as its owner; bad rows go to FILE.errors.csv.

    After the orders are in, the shop's customer segments are recomputed.
    """
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kefu.settings")
    import django

    django.setup()
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    from kefu.errors import ServiceError
    from kefu.orders import importing
    from kefu.shops.models import Membership, Role

    owner = (
        Membership.objects.select_related("shop")
        .filter(shop__slug=shop, role=Role.OWNER, is_active=True)
        .first()
    )
    if owner is None:
        typer.echo(f"找不到店铺 {shop}。", err=True)
        raise typer.Exit(1)
    started = time.perf_counter()
    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
    ) as bar:
        task = bar.add_task("读取并检查…", total=None)

        def read(rows: int) -> None:
            bar.update(task, completed=rows)

        def report(done: int, total: int) -> None:
            bar.update(task, description="写入订单", completed=done, total=total)

        def resegmenting() -> None:
            bar.update(task, description="重新计算客户分层")
            bar.console.print("订单已写入，正在重新计算客户分层…")

        try:
            record = importing.import_orders_file(
                actor=owner,
                filename=file.name,
                data=file.read_bytes(),
                platform=platform,
                keep_good_rows=keep_good_rows,
                progress=report,
                reading=read,
                resegmenting=resegmenting,
            )
        except ServiceError as exc:
            bar.stop()
            typer.echo(exc.message, err=True)
            raise typer.Exit(1) from None
    seconds = time.perf_counter() - started
    typer.echo(
        f"{record.rows} 行：新增 {record.created}，更新 {record.updated}，"
        f"有问题 {record.bad_rows} 行（{seconds:.1f} 秒，{record.rows / seconds:,.0f} 行/秒）"
    )
    for error in record.errors[:20]:
        typer.echo(f"  第 {error['row']} 行 {error['column']}：{error['reason']}", err=True)
    if record.error_file:
        errors_path = file.with_name(file.name + ".errors.csv")
        errors_path.write_bytes(bytes(record.error_file))
        typer.echo(f"有问题的行已写到 {errors_path}", err=True)
    if record.bad_rows and not keep_good_rows:
        typer.echo(
            "这个文件没有导入。改好后重新导入，或加 --keep-good-rows 先导入没问题的行。", err=True
        )
        raise typer.Exit(1)
