"""Orders as the platforms report them, the imports that brought them, saved header mappings."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from kefu.customers.models import Customer, Platform
from kefu.shops.models import Shop


class OrderStatus(models.TextChoices):
    UNPAID = "unpaid", _("待付款")
    PAID = "paid", _("已付款")
    SHIPPED = "shipped", _("已发货")
    COMPLETED = "completed", _("交易成功")
    CLOSED = "closed", _("已关闭")
    REFUNDING = "refunding", _("退款中")
    REFUNDED = "refunded", _("已退款")


class Order(models.Model):
    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="orders")
    # Null when the export names no buyer (Pinduoduo hides buyer accounts from sellers).
    customer = models.ForeignKey(
        Customer, on_delete=models.SET_NULL, null=True, blank=True, related_name="orders"
    )
    platform = models.CharField(_("平台"), max_length=8, choices=Platform.choices)
    order_no = models.CharField(_("订单编号"), max_length=64)
    status = models.CharField(_("订单状态"), max_length=12, choices=OrderStatus.choices)
    status_text = models.CharField(_("原始状态"), max_length=60, blank=True)
    amount = models.DecimalField(_("实付金额"), max_digits=12, decimal_places=2)
    refund_amount = models.DecimalField(_("退款金额"), max_digits=12, decimal_places=2, default=0)
    title = models.CharField(_("商品"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("下单时间"), null=True, blank=True)
    paid_at = models.DateTimeField(_("付款时间"), null=True, blank=True)
    receiver_name = models.CharField(_("收货人"), max_length=60, blank=True)
    receiver_phone = models.CharField(_("收货手机"), max_length=32, blank=True)
    receiver_address = models.CharField(_("收货地址"), max_length=300, blank=True)
    imported_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("订单")
        verbose_name_plural = _("订单")
        constraints = [
            models.UniqueConstraint(
                fields=["shop", "platform", "order_no"], name="uniq_order_per_platform"
            ),
        ]
        indexes = [
            models.Index(fields=["customer", "created_at"], name="order_customer_time"),
            models.Index(fields=["shop", "created_at"], name="order_shop_time"),
        ]

    def __str__(self) -> str:
        return f"{self.platform}:{self.order_no}"


class OrderImport(models.Model):
    """One file (or one API push): what it held and what it did."""

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="order_imports")
    filename = models.CharField(_("文件名"), max_length=200)
    platform = models.CharField(_("平台"), max_length=8, choices=Platform.choices)
    rows = models.PositiveIntegerField(_("数据行"), default=0)
    created = models.PositiveIntegerField(_("新增订单"), default=0)
    updated = models.PositiveIntegerField(_("更新订单"), default=0)
    bad_rows = models.PositiveIntegerField(_("有问题的行"), default=0)
    # [{"row": 7, "column": "订单付款时间", "reason": "…"}], the first MAX_STORED_ERRORS.
    errors = models.JSONField(default=list, blank=True)
    # The bad rows with their reasons, for the owner to fix and import again (UTF-8 CSV).
    error_file = models.BinaryField(default=b"", blank=True)
    # Progress while the import runs (the page polls it): rows read of total_rows.
    state = models.CharField(max_length=10, default="done")  # running / done / failed
    processed = models.PositiveIntegerField(default=0)
    total_rows = models.PositiveIntegerField(default=0)
    message = models.CharField(max_length=300, blank=True)  # why it failed, for the page
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("订单导入")
        verbose_name_plural = _("订单导入")

    def __str__(self) -> str:
        return self.filename


class ImportMapping(models.Model):
    """A shop's own reading of a platform's headers: {"表头": "field"}; "" ignores it."""

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="import_mappings")
    platform = models.CharField(_("平台"), max_length=8, choices=Platform.choices)
    mapping = models.JSONField(default=dict)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("表头对应")
        verbose_name_plural = _("表头对应")
        constraints = [
            models.UniqueConstraint(fields=["shop", "platform"], name="uniq_mapping_platform"),
        ]

    def __str__(self) -> str:
        return f"{self.shop_id}:{self.platform}"
