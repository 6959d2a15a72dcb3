"""The demo shop's customers: a season of made-up Taobao orders, so every segment shows.

Loaded through the same order push the shop's own site would use, then segmented, so
the archive, the segment page and the workbench panel have something true to show.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from django.utils import timezone

from kefu.customers.models import Customer, CustomerNote, CustomerTag
from kefu.shops.models import Membership

# nickname, name, phone, city, pattern; the pattern decides the orders below.
DEMO_CUSTOMERS = [
    ("小鱼儿爱逛街", "林小雨", "13812345678", "浙江省杭州市西湖区文三路88号", "gold"),
    ("暖阳妈妈", "陈静", "13900001111", "江苏省南京市鼓楼区中山路12号", "gold"),
    ("阿狸不吃鱼", "王蕾", "13700002222", "上海市浦东新区世纪大道100号", "gold"),
    ("周末去野餐", "赵敏", "15000003333", "广东省深圳市南山区科技园1栋", "meteor"),
    ("一次买个够", "孙强", "15100004444", "北京市朝阳区建国路66号", "meteor"),
    ("豆豆的小屋", "周婷", "15200005555", "四川省成都市武侯区天府大道3号", "small_star"),
    ("晴天小猪", "吴佳", "15300006666", "湖北省武汉市洪山区珞喻路9号", "small_star"),
    ("月光宝盒", "郑洁", "15800007777", "福建省厦门市思明区湖滨南路5号", "small_star"),
    ("砍价小能手", "钱多多", "18600008888", "山东省青岛市市南区香港中路20号", "burden"),
    ("退货专业户", "冯雷", "18700009999", "河南省郑州市金水区花园路7号", "burden"),
    ("初来乍到", "何芳", "13600001212", "湖南省长沙市岳麓区麓山南路2号", "new"),
    ("路过看看", "韩梅", "13500003434", "陕西省西安市雁塔区长安南路8号", "new"),
    ("拍了再说", "曹操", "13400005656", "重庆市渝中区解放碑步行街1号", "unpaid"),
]
TITLES = ["云朵棉宽松短袖T恤", "冰感防晒外套", "垂感亚麻阔腿裤", "加厚帆布托特包", "纯棉四件套"]


def load_demo_customers(*, owner: Membership) -> int:
    """Push the demo orders as the owner, then segment the shop; returns the orders stored."""
    from kefu.orders import pushing

    rng = random.Random(2026)
    now = timezone.now()
    orders: list[dict[str, object]] = []
    for nick, name, phone, address, pattern in DEMO_CUSTOMERS:
        for n, (days_ago, amount, status, refund) in enumerate(_orders_for(pattern, rng)):
            orders.append(
                {
                    "order_no": f"DEMO{len(orders) + 1:06d}",
                    "buyer": nick,
                    "amount": str(amount),
                    "status": status,
                    "created_at": _stamp(now - dt.timedelta(days=days_ago, hours=n)),
                    "paid_at": ""
                    if status == "unpaid"
                    else _stamp(now - dt.timedelta(days=days_ago, hours=n - 1)),
                    "title": rng.choice(TITLES),
                    "receiver_name": name,
                    "receiver_phone": phone,
                    "receiver_address": address,
                    "refund_amount": str(refund),
                }
            )
    record = pushing.push_orders(actor=owner, orders=orders, platform="taobao")
    if record.bad_rows:  # the demo's own data: a bug here, not a user's mistake
        raise RuntimeError(f"demo orders refused: {record.errors[:3]}")
    _annotate(owner=owner)
    # Now, not in the push's background pass: `kefu demo` exits right after.
    from kefu.customers import segments

    segments.segment_customers(shop_id=owner.shop_id)
    return record.created


def _stamp(moment: dt.datetime) -> str:
    """The shop's local time as the seller back-ends write it (2026-03-05 14:22:31)."""
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M:%S")


def _orders_for(pattern: str, rng: random.Random) -> list[tuple[int, Decimal, str, Decimal]]:
    """(days ago, amount, status, refund) for one customer of the pattern."""
    zero = Decimal("0")
    if pattern == "gold":
        return [
            (rng.randint(3, 170), Decimal(rng.choice([299, 459, 639])), "completed", zero)
            for _ in range(rng.randint(4, 6))
        ]
    if pattern == "meteor":
        return [(rng.randint(20, 150), Decimal("1299"), "completed", zero)]
    if pattern == "small_star":
        return [
            (rng.randint(3, 170), Decimal(rng.choice([49.9, 69, 59])), "completed", zero)
            for _ in range(rng.randint(3, 5))
        ]
    if pattern == "burden":
        return [
            (30, Decimal("159"), "refunded", Decimal("159")),
            (60, Decimal("129"), "refunded", Decimal("129")),
            (90, Decimal("69"), "completed", zero),
        ]
    if pattern == "unpaid":
        return [(d, Decimal("129"), "unpaid", zero) for d in (5, 12, 40)]
    return [(rng.randint(1, 30), Decimal("69"), "shipped", zero)]


def _annotate(*, owner: Membership) -> None:
    """Types, tags and notes an agent would have left on a few of them."""
    by_nick = {
        c.nickname: c for c in Customer.objects.filter(shop_id=owner.shop_id, platform="taobao")
    }
    touches = {
        "小鱼儿爱逛街": (
            {"personality": "amiable", "buying_behaviour": "social"},
            ["老顾客", "推荐过朋友"],
            "喜欢浅色系，买T恤都要M码，生日在五月。",
        ),
        "砍价小能手": (
            {"buying_behaviour": "haggler", "price_attitude": "must_haggle"},
            ["爱议价"],
            "每次都要送赠品才下单，底价守住就好。",
        ),
        "退货专业户": (
            {"personality": "dominant", "quality_expectation": "perfectionist"},
            [],
            "两次退货都说色差，发货前拍实物图给他确认。",
        ),
        "阿狸不吃鱼": (
            {"personality": "analytical", "online_habit": "surgical"},
            ["提过建议"],
            "建议我们出加大码，已经反馈给产品。",
        ),
    }
    birthday = dt.date(1992, 5, 20)
    for nick, (types, tags, note) in touches.items():
        customer = by_nick.get(nick)
        if customer is None:
            continue
        for field, value in types.items():
            setattr(customer, field, value)
        if nick == "小鱼儿爱逛街":
            customer.birthday = birthday
        customer.save()
        CustomerTag.objects.bulk_create(
            CustomerTag(shop_id=owner.shop_id, customer=customer, name=t) for t in tags
        )
        CustomerNote.objects.create(
            shop_id=owner.shop_id, customer=customer, author=owner, text=note
        )
