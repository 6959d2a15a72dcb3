"""`kefu assist retrain --shop SLUG`: retrain one shop's model and print before/after."""

from __future__ import annotations

import typer

from kefu import errors
from kefu.coach.retrain import figure_rows, retrain_shop
from kefu.shops.models import Shop


def _figure(value: float | None) -> str:
    return "—" if value is None else f"{value:.3f}"


def retrain_and_report(slug: str) -> None:
    shop = Shop.objects.filter(slug=slug).first()
    if shop is None:
        typer.echo(f"找不到店铺 {slug}。", err=True)
        raise typer.Exit(2)
    typer.echo(f"正在重新训练 {shop.name} 的模型……")
    try:
        run = retrain_shop(actor=None, shop=shop)
    except errors.ServiceError as error:
        typer.echo(error.message, err=True)
        raise typer.Exit(1) from None
    figures = run.figures
    typer.echo(
        f"纠正样本 {figures['extras']} 条（{run.corrections_used} 次纠正），"
        f"用时 {figures['seconds']} 秒，当前模型：{'本店模型' if figures['current'] == 'shop' else '基础模型'}"
    )
    typer.echo(f"{'指标':<24}{'训练前':>8}{'训练后':>8}")
    for name, before, after in figure_rows(figures):
        typer.echo(f"{name:<24}{_figure(before):>10}{_figure(after):>10}")
    typer.echo(("结论：已切换到新模型。" if run.active else "结论：未切换。") + run.reason)
