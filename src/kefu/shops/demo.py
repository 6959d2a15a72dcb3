"""The demo shop that `kefu demo` and `make run` load, so a new user can try both sides."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from kefu.playbook.models import QuickReply
from kefu.shops import services as shop_services
from kefu.shops.models import Membership, Role, Shop

DEMO_SLUG = "demo"
DEMO_PASSWORD = "kefu-demo-2026"
DEMO_PEOPLE = [
    ("owner", "店长老王", Role.OWNER, None),
    ("supervisor", "主管阿珍", Role.SUPERVISOR, None),
    ("xiaomei", "小美", Role.AGENT, 8),
    ("ajie", "阿杰", Role.AGENT, 8),
]
DEMO_QUICK_REPLIES = [
    ("你好", "{客户}您好，欢迎光临{店铺}～我是客服{客服}，有什么可以帮您的吗？"),
    ("发货", "亲，今天16点前付款的订单当天发出，默认中通快递，一般2到4天送达哦。"),
    ("尺码", "您方便告诉我身高和体重吗？我帮您推荐最合适的尺码～"),
    ("退换", "收到后7天内，不影响二次销售都可以退换的，您放心选购哦。"),
    ("谢谢", "感谢{客户}的支持，有任何问题随时找{客服}哦，祝您生活愉快！"),
    ("优惠", "现在店铺满199减20，关注店铺还能领5元无门槛券哦～"),
]


@dataclass(frozen=True)
class DemoShop:
    shop: Shop
    created: bool


@transaction.atomic
def load_demo() -> DemoShop:
    """Create the demo shop, its people and quick replies once; later calls just return it."""
    shop = Shop.objects.filter(slug=DEMO_SLUG).first()
    if shop is not None:
        return DemoShop(shop, created=False)
    owner_username, owner_name, _role, _cap = DEMO_PEOPLE[0]
    shop = shop_services.create_shop(
        name="暖暖家居生活馆", slug=DEMO_SLUG, owner_username=owner_username,
        owner_password=DEMO_PASSWORD, owner_display_name=owner_name,
        hours_start="00:00", hours_end="00:00",
        welcome_message="亲，欢迎光临暖暖家居生活馆～有什么想了解的尽管问我哦！",
        away_message="亲，客服暂时不在线，您先留言，我们上线后第一时间回复您～",
        busy_message="亲，客服都在忙，您排在第{排队人数}位，请稍等片刻，马上就来～",
        announcement="双11返场：全场满199减20，下单送收纳袋一个 🎁",
    )
    owner = Membership.objects.get(shop=shop, user__username=owner_username)
    for username, name, role, capacity in DEMO_PEOPLE[1:]:
        shop_services.create_member(
            actor=owner, username=username, password=DEMO_PASSWORD, display_name=name,
            role=role, capacity=capacity,
        )
    QuickReply.objects.bulk_create(
        QuickReply(shop=shop, keyword=k, text=t) for k, t in DEMO_QUICK_REPLIES
    )
    return DemoShop(shop, created=True)
