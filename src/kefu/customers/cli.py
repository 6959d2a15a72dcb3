"""`kefu customers segment --shop SLUG`: recompute a shop's customer segments now."""

from __future__ import annotations

import os

import typer

app = typer.Typer(help="Customers: segments (gold, meteor, small star, burden).")


@app.command("segment")
def segment(shop: str = typer.Option(..., "--shop", help="the shop's slug")) -> None:
    """Recompute every customer's segment of one shop and print the counts and moves."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kefu.settings")
    import django

    django.setup()
    from kefu.customers.models import Segment
    from kefu.customers.rules import money
    from kefu.customers.segments import segment_customers
    from kefu.shops.models import Shop

    found = Shop.objects.filter(slug=shop).values_list("id", flat=True).first()
    if found is None:
        typer.echo(f"找不到店铺 {shop}。", err=True)
        raise typer.Exit(1)
    run = segment_customers(shop_id=found)
    labels = dict(Segment.choices)
    typer.echo(
        f"{shop}：{run.customers:,} 位客户，近 {run.window_days} 天，"
        f"高价值线 {money(run.high_value_amount)}"
    )
    for value in Segment.values:
        count = run.counts.get(value, 0)
        share = count / run.customers if run.customers else 0
        typer.echo(f"  {labels[value]:<6} {count:>10,}  {share:6.1%}")
    if run.moves:
        typer.echo("与上次相比：")
        for move, count in sorted(run.moves.items(), key=lambda item: -item[1]):
            old, new = move.split(">")
            typer.echo(f"  {labels[old]} → {labels[new]}：{count:,}")
    else:
        typer.echo("与上次相比：没有客户变动。")
    typer.echo(f"用时 {run.seconds:.2f} 秒。")
