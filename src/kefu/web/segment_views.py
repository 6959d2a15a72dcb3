"""The shop's segment page: who is gold, meteor, small star or burden, and how to treat them.

Every member reads it; owners and supervisors also tune the thresholds and ask for a
new segmentation. The services decide who may; the role check here only hides buttons.
"""

from __future__ import annotations

from typing import ClassVar

from django import forms as django_forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from kefu import errors
from kefu.customers import segment_settings
from kefu.customers.models import Segment
from kefu.customers.rules import money
from kefu.shops.models import Membership
from kefu.web.forms import ServiceErrorForm
from kefu.web.views import member_required, render_page, render_refusal, save_form

# What each segment means for the shop and how to serve it.
ADVICE: dict[str, tuple[str, str]] = {
    Segment.GOLD: (
        gettext_lazy("常来、花得多，是店铺最重要的客人。"),
        gettext_lazy("用心珍惜：优先接待、回复要快；生日和节日送上祝福，新品和活动先告诉他们。"),
    ),
    Segment.METEOR: (
        gettext_lazy("一次花得多，但来得少，像流星一闪而过。"),
        gettext_lazy("把他们请回来：收货后回访问问用得怎样，上新时推荐合心意的商品。"),
    ),
    Segment.SMALL_STAR: (
        gettext_lazy("花得不多，却一次次回来，是店铺稳定的底气。"),
        gettext_lazy("稳稳地谢谢他们：记得老客户的喜好，时常给些小优惠、小赠品。"),
    ),
    Segment.BURDEN: (
        gettext_lazy("退款、投诉、反复议价多，服务成本高。"),
        gettext_lazy("耐心但守住规则：态度好、政策不松口；看看问题出在商品还是描述，从根上改。"),
    ),
    Segment.NEW: (
        gettext_lazy("统计期内下单还不多、金额也不大，还看不出是哪类客人。"),
        gettext_lazy("热情欢迎：第一次体验要顺，让第二次购买更容易，比如一张回购券。"),
    ),
    Segment.NONE: (
        gettext_lazy("统计期内没有付款订单。"),
        gettext_lazy("不必打扰：有咨询时好好接待，有合适的活动时再联系。"),
    ),
}


class SegmentSettingsForm(ServiceErrorForm):
    service_error_fields: ClassVar[dict[str, str]] = {
        "bad_window": "window_days",
        "bad_quantile": "high_value_quantile",
        "bad_amount": "high_value_amount",
        "bad_repeat": "repeat_orders",
        "bad_refund_share": "burden_refund_share",
        "bad_incidents": "burden_incidents_per_order",
    }

    window_days = django_forms.IntegerField(
        label=gettext_lazy("统计天数"), help_text=gettext_lazy("7 到 1095 天，按下单时间算。")
    )
    high_value_quantile = django_forms.FloatField(
        label=gettext_lazy("高价值分位"),
        widget=django_forms.NumberInput(attrs={"step": "0.01"}),
        help_text=gettext_lazy("0.5 到 0.99。0.8 表示净消费排在前 20% 左右的客户算高价值。"),
    )
    high_value_amount = django_forms.DecimalField(
        label=gettext_lazy("高价值金额（元）"),
        required=False,
        max_digits=12,
        decimal_places=2,
        help_text=gettext_lazy("填了就用固定金额代替分位；留空按分位计算。"),
    )
    repeat_orders = django_forms.IntegerField(
        label=gettext_lazy("回头客下单次数"), help_text=gettext_lazy("2 到 20 次。")
    )
    burden_refund_share = django_forms.FloatField(
        label=gettext_lazy("负担：退款占比"),
        widget=django_forms.NumberInput(attrs={"step": "0.05"}),
        help_text=gettext_lazy("0.1 到 1。退款金额达到消费的这个比例，算负担客户。"),
    )
    burden_incidents_per_order = django_forms.FloatField(
        label=gettext_lazy("负担：每单服务次数"),
        widget=django_forms.NumberInput(attrs={"step": "0.5"}),
        help_text=gettext_lazy("0.5 到 20。退款、投诉、议价平均每单达到这个次数，算负担客户。"),
    )


@require_http_methods(["GET", "POST"])
@member_required
def overview(request: HttpRequest, member: Membership) -> HttpResponse:
    form = None
    if request.method == "POST":
        form = SegmentSettingsForm(request.POST)
        response = save_form(
            request,
            member,
            form,
            segment_settings.update_segment_settings,
            success=_("分层设置已保存，下次重新分层时生效。"),
            redirect_to="segments:overview",
        )
        if response is not None:
            return response
    view = segment_settings.segment_overview(actor=member)
    if form is None and view.can_tune:
        form = SegmentSettingsForm(initial=SegmentSettingsForm.initial_for(view.settings))
    labels = dict(Segment.choices)
    counted = {c.segment: c for c in view.counts}
    context = {
        "view": view,
        "form": form,
        "cards": [
            {
                "segment": value,
                "label": label,
                "count": counted.get(value),
                "meaning": ADVICE[value][0],
                "advice": ADVICE[value][1],
            }
            for value, label in Segment.choices
        ],
        "moves": [(labels[m.old], labels[m.new], m.count) for m in view.moves],
        "runs": [
            {"run": run, "counts": [run.counts.get(value, 0) for value in Segment.values]}
            for run in view.runs
        ],
        "segment_labels": [labels[value] for value in Segment.values],
        "high_value_line": money(view.rules.high_value_amount),
    }
    return render_page(request, member, "web/segments.html", context)


@require_POST
@member_required
def resegment(request: HttpRequest, member: Membership) -> HttpResponse:
    try:
        run = segment_settings.resegment_shop(actor=member)
    except errors.Forbidden as refusal:
        return render_refusal(request, refusal, member=member)
    messages.success(
        request,
        _("已重新分层：%(n)d 位客户，用时 %(s).1f 秒。") % {"n": run.customers, "s": run.seconds},
    )
    return redirect("segments:overview")
