"""The demo shop that `kefu demo` and `make run` load, so a new user can try both sides."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction

from kefu.playbook.models import CheckerTerm, FaqEntry, Product, QuickReply
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


# The demo page's products (kefu.web.demo_catalogue), with the floor prices staff see.
DEMO_PRODUCTS = [
    ("云朵棉宽松短袖T恤", "69", "55", "同色系袜子一双"),
    ("冰感防晒外套", "129", "109", "防晒冰袖一副"),
    ("垂感亚麻阔腿裤", "159", "135", "收纳袋一个"),
    ("加厚帆布托特包", "49.9", "42", "钥匙扣一个"),
]
DEMO_FAQS = [
    ("什么时候发货\n几天能发货\n今天能发吗", "亲，16点前付款当天发出，之后的订单第二天发，默认中通快递，一般2到4天送达哦～"),
    ("可以退换吗\n不合适能退吗\n七天无理由吗", "支持七天无理由退换，吊牌保留、不影响二次销售就可以，退换都很方便的，您放心选购～"),
    ("尺码怎么选\n我穿什么码\n有尺码表吗", "每件商品详情页都有尺码表，您告诉我身高体重，我帮您推荐最合适的码～"),
    ("包邮吗\n运费多少", "全店满59元包邮（偏远地区除外），不满的话运费8元哦。"),
    ("能开发票吗\n可以开票吗", "可以开电子发票的，下单时备注抬头和税号，确认收货后会发到您的邮箱～"),
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
        free_shipping_threshold=Decimal("59"), faq_mode="auto_offline",
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
    Product.objects.bulk_create(
        Product(shop=shop, name=n, list_price=Decimal(p), floor_price=Decimal(f), gift=g)
        for n, p, f, g in DEMO_PRODUCTS
    )
    FaqEntry.objects.bulk_create(FaqEntry(shop=shop, questions=q, answer=a) for q, a in DEMO_FAQS)
    CheckerTerm.objects.create(
        shop=shop, term="爱买不买", category="rude", severity="high",
        suggestion="您再考虑考虑，有任何问题随时找我哦～",
    )
    from kefu.customers.demo import load_demo_customers

    load_demo_customers(owner=owner)
    return DemoShop(shop, created=True)
