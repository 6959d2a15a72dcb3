"""`kefu assist retrain --shop SLUG`: retrain one shop's model and print before/after."""

from __future__ import annotations

import typer

from kefu import errors
from kefu.coach.retrain import figure_rows, retrain_shop
from kefu.shops.models import Shop


def _figure(value: float | None) -> str:
    return "—" if value is None else f"{value:.3f}"


def _padded(text: str, width: int) -> str:
    """Left-aligned to a terminal width: Chinese characters take two columns."""
    used = sum(2 if ord(char) > 0x2E7F else 1 for char in text)
    return text + " " * max(width - used, 0)


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
    typer.echo(f"{_padded('指标', 34)}{_padded('训练前', 10)}训练后")
    for name, before, after in figure_rows(figures):
        typer.echo(f"{_padded(name, 34)}{_padded(_figure(before), 10)}{_figure(after)}")
    typer.echo(f"结论：{run.reason}")
