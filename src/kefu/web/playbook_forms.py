"""Forms of the playbook pages: FAQ, FAQ import, scripts, banned words and products.

They parse and show errors; kefu.playbook.services owns the rules.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from kefu.assist.labels import FINDING_CATEGORIES, SEVERITIES
from kefu.playbook import services as playbook_services
from kefu.playbook.checker_terms import SEVERITY_NAMES
from kefu.playbook.faq_files import MAX_FILE_BYTES
from kefu.playbook.models import FaqEntry
from kefu.web.forms import ServiceErrorForm


class FaqEntryForm(ServiceErrorForm):
    service_error_fields: ClassVar[dict[str, str]] = {
        "bad_questions": "questions",
        "question_taken": "questions",
        "bad_answer": "answer",
    }

    questions = forms.CharField(
        label=_("问题（每行一种问法）"),
        max_length=6000,  # the service counts phrasings after dropping blank lines and repeats
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("同一个问题顾客会有不同问法，每行写一种，例如“多久发货”“什么时候能发出”。"),
    )
    answer = forms.CharField(
        label=_("回答"), max_length=2000, widget=forms.Textarea(attrs={"rows": 5})
    )

    @classmethod
    def initial_for(cls, item: FaqEntry) -> dict[str, Any]:
        return {"questions": "\n".join(item.question_list), "answer": item.answer}


class FaqImportForm(forms.Form):
    file = forms.FileField(
        label=_("选择文件"),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx,.txt"}),
    )
    replace = forms.BooleanField(
        label=_("替换现有的常见问题"),
        required=False,
        help_text=_("勾选后先删除店里现有的全部常见问题，再导入文件里的。"),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Filled here, per request, so it follows the request's language.
        self.fields["file"].help_text = gettext(
            "CSV（UTF-8 或 GBK 编码）或 Excel .xlsx，不超过 %(mb)d MB。"
        ) % {"mb": MAX_FILE_BYTES // (1024 * 1024)}


def _situation_choices() -> list[tuple[str, str]]:
    return [("", _("请选择场景")), *playbook_services.SITUATIONS.items()]


class ShopScriptForm(ServiceErrorForm):
    service_error_fields: ClassVar[dict[str, str]] = {
        "bad_situation": "situation",
        "bad_method_id": "method_id",
        "bad_method": "method",
        "bad_why": "why",
        "bad_text": "text",
    }

    situation = forms.ChoiceField(label=_("场景"), choices=_situation_choices)
    method_id = forms.CharField(
        label=_("替换内置方法"),
        max_length=40,
        required=False,
        help_text=_("留空表示新增一种方法；选了内置方法，工作台就用您的话术代替它。"),
    )
    method = forms.CharField(
        label=_("方法名称"),
        max_length=20,
        required=False,
        help_text=_("例如“平均法”。替换内置方法时可以留空，沿用原来的名称。"),
    )
    why = forms.CharField(
        label=_("为什么这样说"),
        max_length=120,
        required=False,
        help_text=_("一句话告诉新客服这个方法的用意，工作台会显示在话术旁边。"),
    )
    text = forms.CharField(
        label=_("话术"), max_length=1000, widget=forms.Textarea(attrs={"rows": 4})
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        # A datalist lets the owner pick a built-in id while the service checks it fits.
        self.fields["method_id"].widget.attrs["list"] = "builtin-methods"


class CheckerTermForm(ServiceErrorForm):
    service_error_fields: ClassVar[dict[str, str]] = {
        "bad_term": "term",
        "term_taken": "term",
        "bad_category": "category",
        "bad_severity": "severity",
        "bad_suggestion": "suggestion",
    }

    term = forms.CharField(label=_("词语"), max_length=40)
    category = forms.ChoiceField(
        label=_("类别"), choices=list(FINDING_CATEGORIES.items()), initial="negative"
    )
    severity = forms.ChoiceField(
        label=_("严重程度"),
        choices=[(s, SEVERITY_NAMES[s]) for s in SEVERITIES],
        initial="medium",
        help_text=_("“严重”的词，客服发送前需要再确认一次，并记录下来供质检查看。"),
    )
    suggestion = forms.CharField(
        label=_("建议说法"),
        max_length=200,
        required=False,
        help_text=_("客服写到这个词时看到的提示，例如换成什么说法。"),
    )


class ProductForm(ServiceErrorForm):
    service_error_fields: ClassVar[dict[str, str]] = {
        "bad_name": "name",
        "name_taken": "name",
        "bad_list_price": "list_price",
        "bad_floor_price": "floor_price",
        "bad_gift": "gift",
    }

    name = forms.CharField(label=_("商品名称"), max_length=80)
    list_price = forms.DecimalField(
        label=_("标价（元）"), max_digits=10, decimal_places=2, min_value=0
    )
    floor_price = forms.DecimalField(
        label=_("最低价（元）"),
        max_digits=10,
        decimal_places=2,
        min_value=0,
        help_text=_("议价时最多让到这个价。只有店里的同事能看到，不会发给顾客。"),
    )
    gift = forms.CharField(
        label=_("可送的小礼品"),
        max_length=60,
        required=False,
        help_text=_("不能再降价时，可以用它代替，例如“收纳袋”。"),
    )
