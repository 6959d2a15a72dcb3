"""A shop's own words: quick replies (FAQs and scripts come with the coach)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from kefu.shops.models import Shop


class QuickReply(models.Model):
    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="quick_replies")
    keyword = models.CharField(_("快捷词"), max_length=20)
    text = models.TextField(_("回复内容"), max_length=1000)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("快捷回复")
        verbose_name_plural = _("快捷回复")
        ordering = ["keyword"]
        constraints = [
            models.UniqueConstraint(fields=["shop", "keyword"], name="uniq_quick_reply_keyword"),
        ]

    def __str__(self) -> str:
        return self.keyword


class FaqEntry(models.Model):
    """A question the shop answers the same way every time; several phrasings, one answer."""

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="faqs")
    questions = models.TextField(_("问题（每行一种问法）"), max_length=2000)
    answer = models.TextField(_("回答"), max_length=2000)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("常见问题")
        verbose_name_plural = _("常见问题")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.question_list[0] if self.question_list else f"FAQ {self.pk}"

    @property
    def question_list(self) -> list[str]:
        return [q.strip() for q in self.questions.splitlines() if q.strip()]


class ShopScript(models.Model):
    """The shop's own wording for a situation; same method_id as a built-in one replaces it."""

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="scripts")
    situation = models.CharField(_("场景"), max_length=40)  # e.g. objection:price, emotion:angry
    method = models.CharField(_("方法"), max_length=20)  # e.g. 平均法
    method_id = models.CharField(max_length=40, blank=True)
    why = models.CharField(_("为什么这样说"), max_length=120, blank=True)
    text = models.TextField(_("话术"), max_length=1000)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("店铺话术")
        verbose_name_plural = _("店铺话术")
        ordering = ["situation", "id"]

    def __str__(self) -> str:
        return f"{self.situation} · {self.method}"


class CheckerTerm(models.Model):
    """A word the shop bans or discourages in replies; the reply checker flags it."""

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="checker_terms")
    term = models.CharField(_("词语"), max_length=40)
    category = models.CharField(_("类别"), max_length=16, default="negative")
    severity = models.CharField(_("严重程度"), max_length=8, default="medium")
    suggestion = models.CharField(_("建议说法"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("禁用词")
        verbose_name_plural = _("禁用词")
        constraints = [
            models.UniqueConstraint(fields=["shop", "term"], name="uniq_checker_term"),
        ]

    def __str__(self) -> str:
        return self.term


class Product(models.Model):
    """A product agents bargain over. The floor price is for staff only."""

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="products")
    name = models.CharField(_("商品名称"), max_length=80)
    list_price = models.DecimalField(_("标价"), max_digits=10, decimal_places=2)
    floor_price = models.DecimalField(_("最低价（仅员工可见）"), max_digits=10, decimal_places=2)
    gift = models.CharField(_("可送的小礼品"), max_length=60, blank=True)

    class Meta:
        verbose_name = _("商品")
        verbose_name_plural = _("商品")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
