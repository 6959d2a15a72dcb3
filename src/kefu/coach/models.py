"""The coach in the desk: what agents corrected, what they sent despite a warning,
and each shop's own retrained model."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from kefu.chat.models import Message
from kefu.shops.models import Membership, Shop


class Correction(models.Model):
    """An agent fixed a label the coach put on a customer message."""

    FIELDS = (("intent", "intent"), ("objection_type", "objection_type"), ("emotion", "emotion"))

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="+")
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="corrections")
    field = models.CharField(max_length=16, choices=FIELDS)
    old_value = models.CharField(max_length=20, blank=True)
    new_value = models.CharField(max_length=20, blank=True)
    member = models.ForeignKey(Membership, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("标签纠正")
        verbose_name_plural = _("标签纠正")

    def __str__(self) -> str:
        return f"{self.message_id} {self.field}: {self.old_value} → {self.new_value}"


class ReviewFlag(models.Model):
    """An agent sent a reply despite a high-severity finding: kept for quality review."""

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="+")
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="review_flags")
    member = models.ForeignKey(Membership, null=True, on_delete=models.SET_NULL, related_name="+")
    findings = models.JSONField(default=list)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("质检记录")
        verbose_name_plural = _("质检记录")

    def __str__(self) -> str:
        return f"review {self.message_id}"


class RetrainState(models.TextChoices):
    RUNNING = "running", _("训练中")
    DONE = "done", _("已完成")
    FAILED = "failed", _("失败")


class ShopModel(models.Model):
    """A shop's classifier trained on the base data plus its corrections.

    One row per retraining run: created `running` when the run starts (so the page
    and a second click see it), then `done` with its path and figures, or `failed`.
    """

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="coach_models")
    path = models.CharField(max_length=300)  # under the data dir
    corrections_used = models.PositiveIntegerField(default=0)
    figures = models.JSONField(default=dict)  # before/after on the base dev split and corrections
    active = models.BooleanField(default=False)
    state = models.CharField(max_length=10, choices=RetrainState.choices, default=RetrainState.DONE)
    reason = models.TextField(blank=True)  # why it switched or not, or why it failed
    finished_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("店铺模型")
        verbose_name_plural = _("店铺模型")

    def __str__(self) -> str:
        return f"{self.shop_id} model {self.pk}"
