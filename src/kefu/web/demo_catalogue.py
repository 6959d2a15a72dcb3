"""Made-up products for the demo shop page: enough to make trying the widget feel real."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DemoProduct:
    title: str
    price: str
    was: str
    sold: str
    badge: str
    # Picks one of the CSS placeholder pictures (.demo-pic--1 … --4): no image files to ship.
    picture: int


DEMO_PRODUCTS: tuple[DemoProduct, ...] = (
    DemoProduct("云朵棉 宽松圆领短袖T恤 男女同款", "69.00", "99.00", "月销 2300+", "包邮", 1),
    DemoProduct("冰感防晒外套 UPF50+ 轻薄透气 带帽", "129.00", "169.00", "月销 860+", "新品", 2),
    DemoProduct("垂感亚麻阔腿裤 高腰显瘦 九分款", "159.00", "199.00", "月销 540+", "满199减20", 3),
    DemoProduct("加厚帆布托特包 大容量 可装14寸电脑", "49.90", "69.00", "月销 1200+", "包邮", 4),
)
