"""`kefu`: the one command-line entry point (serve, migrate, demo, shops, agents, the coach)."""

from __future__ import annotations

import os
import sys

import typer

app = typer.Typer(help="kefu — 网店客服工作台", no_args_is_help=True, add_completion=False)


def _django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kefu.settings")
    import django

    django.setup()


def _call(*args: str) -> None:
    _django()
    from django.core.management import call_command

    call_command(*args)


@app.command()
def migrate() -> None:
    """Create or update the database tables."""
    _call("migrate", "--no-input", "-v", "0")
    typer.echo("数据库已就绪 (database ready).")


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", help="address to listen on"),
    port: int = typer.Option(8000, help="port"),
    workers: int = typer.Option(1, help="processes (more than one needs DATABASE_URL and REDIS_URL)"),
    log_level: str = typer.Option("warning"),
) -> None:
    """Serve kefu (pages, API and WebSockets) with uvicorn."""
    _django()
    from django.conf import settings
    from django.core.management import call_command

    if workers > 1 and not (settings.REDIS_URL and os.environ.get("DATABASE_URL")):
        typer.echo("多进程需要同时设置 DATABASE_URL (PostgreSQL) 和 REDIS_URL。", err=True)
        raise typer.Exit(2)
    call_command("collectstatic", "--no-input", "-v", "0")
    import uvicorn

    uvicorn.run(
        "kefu.asgi:application", host=host, port=port, workers=workers, log_level=log_level,
        ws_max_size=64 * 1024, ws_ping_interval=20, ws_ping_timeout=20, lifespan="on",
        access_log=False,
    )


@app.command()
def demo(host: str = "127.0.0.1", port: int = 8000) -> None:
    """Load the demo shop (once) and print where to log in."""
    _call("migrate", "--no-input", "-v", "0")
    from kefu.shops.demo import DEMO_PASSWORD, DEMO_PEOPLE, load_demo

    loaded = load_demo()
    base = f"http://{host}:{port}"
    typer.echo(("已创建" if loaded.created else "已存在") + f"演示店铺：{loaded.shop.name}")
    typer.echo(f"  顾客端（演示店铺页面）: {base}/demo/{loaded.shop.public_key}/")
    typer.echo(f"  客服工作台: {base}/desk/   登录名 / 密码:")
    for username, name, role, _cap in DEMO_PEOPLE:
        typer.echo(f"    {username:<11} / {DEMO_PASSWORD}   {name}（{role}）")


@app.command()
def createshop(
    name: str, slug: str,
    owner: str = typer.Option(..., help="owner's login name"),
    password: str = typer.Option(..., prompt=True, hide_input=True),
) -> None:
    """Create a shop and its owner's login."""
    _django()
    from kefu.errors import ServiceError
    from kefu.shops import services

    try:
        shop = services.create_shop(
            name=name, slug=slug, owner_username=owner, owner_password=password
        )
    except ServiceError as exc:
        typer.echo(exc.message, err=True)
        raise typer.Exit(1) from None
    typer.echo(f"shop {shop.slug} created; widget key: {shop.public_key}")


@app.command()
def createagent(
    shop: str = typer.Option(..., help="shop slug"),
    username: str = typer.Option(...),
    name: str = typer.Option(..., help="display name shown to customers"),
    role: str = typer.Option("agent", help="owner | supervisor | agent"),
    capacity: int | None = typer.Option(None, help="open chats at once (default: the shop's)"),
    password: str = typer.Option(..., prompt=True, hide_input=True),
) -> None:
    """Add an agent (or supervisor/owner) to a shop."""
    _django()
    from kefu.errors import ServiceError
    from kefu.shops import services
    from kefu.shops.models import Membership, Role

    owner = Membership.objects.filter(shop__slug=shop, role=Role.OWNER).first()
    if owner is None:
        typer.echo(f"找不到店铺 {shop}。", err=True)
        raise typer.Exit(1)
    try:
        member = services.create_member(
            actor=owner, username=username, password=password, display_name=name,
            role=role, capacity=capacity,
        )
    except ServiceError as exc:
        typer.echo(exc.message, err=True)
        raise typer.Exit(1) from None
    typer.echo(f"{member.display_name} joined {shop} as {member.role}")


@app.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def manage(ctx: typer.Context) -> None:
    """Run any Django management command (kefu manage createsuperuser, …)."""
    _django()
    from django.core.management import execute_from_command_line

    execute_from_command_line(["kefu manage", *ctx.args])


def _mount_assist() -> None:
    try:
        from kefu.assist.cli import app as assist_app
    except ImportError:  # the coach's CLI is optional until it lands
        return

    @assist_app.command("retrain")
    def retrain(shop: str = typer.Option(..., "--shop", help="the shop's slug")) -> None:
        """Retrain a shop's model on the base data plus its corrections; switch if not worse."""
        _django()
        from kefu.coach.retrain_cli import retrain_and_report

        retrain_and_report(shop)

    app.add_typer(assist_app, name="assist", help="the coach: analyze, check, faq, eval")


_mount_assist()


def _mount_orders() -> None:
    from kefu.orders.cli import app as orders_app

    app.add_typer(orders_app, name="orders", help="orders: import seller exports")


_mount_orders()


def _mount_customers() -> None:
    from kefu.customers.cli import app as customers_app

    app.add_typer(customers_app, name="customers", help="customers: segments")


_mount_customers()


def main() -> None:
    app(prog_name="kefu")


if __name__ == "__main__":
    sys.exit(main())
