"""Playbook pages: FAQ (with import), the shop's scripts, banned words and products.

Every section is a list with an add form, an edit page and a delete button; they
differ only in their form, services and what the list shows, so one set of views
serves them all. Owners and supervisors edit, agents read: the services decide,
the templates only hide the buttons.
"""

from __future__ import annotations

import base64
import csv
import io
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kefu import errors
from kefu.assist.labels import FINDING_CATEGORIES
from kefu.playbook import services as playbook_services
from kefu.playbook.checker_terms import SEVERITY_NAMES
from kefu.playbook.faq_files import MAX_FILE_BYTES
from kefu.shops.models import Membership, Role
from kefu.web import playbook_forms
from kefu.web.forms import ServiceErrorForm
from kefu.web.views import (
    delete_item,
    member_required,
    render_page,
    render_refusal,
    save_form,
)

EDITORS = (Role.OWNER, Role.SUPERVISOR)
_IMPORT_SESSION_KEY = "kefu_faq_import"
_SHOWN_IMPORT_ERRORS = 100


@dataclass(frozen=True)
class Section:
    """One kind of playbook item: its pages, form, services and words."""

    name: str  # url names: name, name_edit, name_delete
    title: Any
    template: str
    form_class: type[ServiceErrorForm]
    id_kwarg: str  # what the services call the item's id
    get: Callable[..., Any]
    create: Callable[..., Any]
    update: Callable[..., Any]
    delete: Callable[..., None]
    list_context: Callable[[HttpRequest, Membership], dict[str, Any]]
    created: Any
    saved: Any
    deleted: Any
    aside_template: str = ""


def _flash_warnings(request: HttpRequest, saved: Any) -> None:
    """A script the checker would flag is saved, and the owner is told what agents will see."""
    for warning in getattr(saved, "warnings", ()):
        messages.warning(request, _("提醒：%(w)s") % {"w": warning})


def _list_view(section: Section) -> Callable[..., HttpResponse]:
    @require_http_methods(["GET", "POST"])
    @member_required
    def view(request: HttpRequest, member: Membership) -> HttpResponse:
        form = section.form_class()
        if request.method == "POST":
            form = section.form_class(request.POST)
            response = save_form(
                request,
                member,
                form,
                section.create,
                success=section.created,
                redirect_to=f"web:{section.name}",
                after_save=lambda saved: _flash_warnings(request, saved),
            )
            if response is not None:
                return response
        context = {"form": form, "section": section, **section.list_context(request, member)}
        return render_page(request, member, section.template, context)

    return view


def _edit_view(section: Section) -> Callable[..., HttpResponse]:
    @require_http_methods(["GET", "POST"])
    @member_required
    def view(request: HttpRequest, member: Membership, item_id: int) -> HttpResponse:
        try:
            item = section.get(actor=member, **{section.id_kwarg: item_id})
        except errors.NotFound:
            raise Http404 from None
        if request.method == "POST":
            form = section.form_class(request.POST)
            response = save_form(
                request,
                member,
                form,
                partial(section.update, **{section.id_kwarg: item.pk}),
                success=section.saved,
                redirect_to=f"web:{section.name}",
                after_save=lambda saved: _flash_warnings(request, saved),
                missing_is_404=True,
            )
            if response is not None:
                return response
        else:
            form = section.form_class(initial=section.form_class.initial_for(item))
        if member.role not in EDITORS:
            form.make_read_only()
        context = {"form": form, "item": item, "section": section}
        if section.aside_template:
            context.update(section.list_context(request, member))
        return render_page(request, member, "web/playbook_edit.html", context)

    return view


def _delete_view(section: Section) -> Callable[..., HttpResponse]:
    @require_POST
    @member_required
    def view(request: HttpRequest, member: Membership, item_id: int) -> HttpResponse:
        return delete_item(
            request,
            member,
            partial(section.delete, **{section.id_kwarg: item_id}),
            success=section.deleted,
            redirect_to=f"web:{section.name}",
        )

    return view


# --- what each section lists ----------------------------------------------------------------


def _faq_context(request: HttpRequest, member: Membership) -> dict[str, Any]:
    query = request.GET.get("q", "")
    entries = playbook_services.list_faq_entries(actor=member, query=query)
    return {"entries": entries, "query": query}


def _builtin_context() -> dict[str, Any]:
    situations = playbook_services.SITUATIONS
    return {
        "builtin": [
            {"id": key, "name": name, "methods": playbook_services.builtin_methods(key)}
            for key, name in situations.items()
        ],
    }


def _scripts_context(request: HttpRequest, member: Membership) -> dict[str, Any]:
    situations = playbook_services.SITUATIONS
    rows = []
    for script in playbook_services.list_scripts(actor=member):
        builtin = {
            m.method_id: m.method for m in playbook_services.builtin_methods(script.situation)
        }
        rows.append(
            {
                "script": script,
                "situation": situations.get(script.situation, script.situation),
                "replaces": builtin.get(script.method_id, ""),
                "warnings": playbook_services.script_warnings(script.text, shop_id=member.shop_id),
            }
        )
    return {"rows": rows, **_builtin_context()}


def _terms_context(request: HttpRequest, member: Membership) -> dict[str, Any]:
    terms = playbook_services.list_checker_terms(actor=member)
    return {
        "rows": [
            {
                "term": term,
                "category": FINDING_CATEGORIES.get(term.category, term.category),
                "severity": SEVERITY_NAMES.get(term.severity, term.severity),
            }
            for term in terms
        ],
    }


def _products_context(request: HttpRequest, member: Membership) -> dict[str, Any]:
    return {"products": playbook_services.list_products(actor=member)}


# Services are looked up when called (not bound here) so tests can stand in for them.
FAQ = Section(
    name="faq",
    title=gettext_lazy("常见问题"),
    template="web/faq.html",
    form_class=playbook_forms.FaqEntryForm,
    id_kwarg="entry_id",
    get=lambda **kw: playbook_services.get_faq_entry(**kw),
    create=lambda **kw: playbook_services.create_faq_entry(**kw),
    update=lambda **kw: playbook_services.update_faq_entry(**kw),
    delete=lambda **kw: playbook_services.delete_faq_entry(**kw),
    list_context=_faq_context,
    created=gettext_lazy("常见问题已添加。"),
    saved=gettext_lazy("常见问题已保存。"),
    deleted=gettext_lazy("常见问题已删除。"),
)
SCRIPTS = Section(
    name="scripts",
    title=gettext_lazy("店铺话术"),
    template="web/scripts.html",
    form_class=playbook_forms.ShopScriptForm,
    id_kwarg="script_id",
    get=lambda **kw: playbook_services.get_script(**kw),
    create=lambda **kw: playbook_services.create_script(**kw),
    update=lambda **kw: playbook_services.update_script(**kw),
    delete=lambda **kw: playbook_services.delete_script(**kw),
    list_context=_scripts_context,
    created=gettext_lazy("话术已添加。"),
    saved=gettext_lazy("话术已保存。"),
    deleted=gettext_lazy("话术已删除，对应的内置话术会重新出现。"),
    aside_template="web/_builtin_methods.html",
)
TERMS = Section(
    name="terms",
    title=gettext_lazy("禁用词"),
    template="web/terms.html",
    form_class=playbook_forms.CheckerTermForm,
    id_kwarg="term_id",
    get=lambda **kw: playbook_services.get_checker_term(**kw),
    create=lambda **kw: playbook_services.create_checker_term(**kw),
    update=lambda **kw: playbook_services.update_checker_term(**kw),
    delete=lambda **kw: playbook_services.delete_checker_term(**kw),
    list_context=_terms_context,
    created=gettext_lazy("禁用词已添加，回复检查立即生效。"),
    saved=gettext_lazy("禁用词已保存。"),
    deleted=gettext_lazy("禁用词已删除。"),
)
PRODUCTS = Section(
    name="products",
    title=gettext_lazy("议价商品"),
    template="web/products.html",
    form_class=playbook_forms.ProductForm,
    id_kwarg="product_id",
    get=lambda **kw: playbook_services.get_product(**kw),
    create=lambda **kw: playbook_services.create_product(**kw),
    update=lambda **kw: playbook_services.update_product(**kw),
    delete=lambda **kw: playbook_services.delete_product(**kw),
    list_context=_products_context,
    created=gettext_lazy("商品已添加。"),
    saved=gettext_lazy("商品已保存。"),
    deleted=gettext_lazy("商品已删除。"),
)

faq, faq_edit, faq_delete = _list_view(FAQ), _edit_view(FAQ), _delete_view(FAQ)
scripts, script_edit, script_delete = (
    _list_view(SCRIPTS),
    _edit_view(SCRIPTS),
    _delete_view(SCRIPTS),
)
terms, term_edit, term_delete = _list_view(TERMS), _edit_view(TERMS), _delete_view(TERMS)
products, product_edit, product_delete = (
    _list_view(PRODUCTS),
    _edit_view(PRODUCTS),
    _delete_view(PRODUCTS),
)


# --- FAQ import: upload, preview, confirm ----------------------------------------------------


@require_http_methods(["GET", "POST"])
@member_required
def faq_import(request: HttpRequest, member: Membership) -> HttpResponse:
    """Upload shows what the file holds (nothing saved); confirm imports that same file."""
    form = playbook_forms.FaqImportForm()
    result = None
    if request.method == "POST":
        try:
            if request.POST.get("action") == "confirm":
                result = _confirm_import(request, member)
                if result is not None and result.imported:
                    return redirect("web:faq")
            else:
                form = playbook_forms.FaqImportForm(request.POST, request.FILES)
                if form.is_valid():
                    result = _preview_import(request, member, form)
        except errors.Forbidden as refusal:
            return render_refusal(request, refusal, member=member)
    staged = request.session.get(_IMPORT_SESSION_KEY)
    context = {
        "form": form,
        "result": result,
        "shown_errors": result.errors[:_SHOWN_IMPORT_ERRORS] if result else (),
        "hidden_errors": max(0, len(result.errors) - _SHOWN_IMPORT_ERRORS) if result else 0,
        "staged": staged if result is not None and result.ok and not result.imported else None,
    }
    return render_page(request, member, "web/faq_import.html", context)


def _preview_import(
    request: HttpRequest, member: Membership, form: playbook_forms.FaqImportForm
) -> playbook_services.ImportResult:
    upload = form.cleaned_data["file"]
    # One byte past the limit is enough for the service to say the file is too big.
    data = upload.read(MAX_FILE_BYTES + 1)
    replace = form.cleaned_data["replace"]
    result = playbook_services.import_faq_file(
        actor=member, filename=upload.name, data=data, dry_run=True, replace=replace
    )
    request.session.pop(_IMPORT_SESSION_KEY, None)
    if result.ok:
        # The confirm step imports exactly the file that was previewed, without a second upload.
        request.session[_IMPORT_SESSION_KEY] = {
            "name": upload.name,
            "data": base64.b64encode(data).decode("ascii"),
            "replace": replace,
            "entries": result.entries,
        }
    return result


def _confirm_import(
    request: HttpRequest, member: Membership
) -> playbook_services.ImportResult | None:
    staged = request.session.get(_IMPORT_SESSION_KEY)
    if not staged:
        messages.error(request, _("没有待导入的文件，请重新上传。"))
        return None
    result = playbook_services.import_faq_file(
        actor=member,
        filename=staged["name"],
        data=base64.b64decode(staged["data"]),
        dry_run=False,
        replace=bool(staged["replace"]),
    )
    request.session.pop(_IMPORT_SESSION_KEY, None)
    if result.imported:
        messages.success(request, _("已导入 %(n)d 条常见问题。") % {"n": result.entries})
        if result.replaced:
            messages.info(request, _("原有的 %(n)d 条已替换。") % {"n": result.replaced})
    return result


_SAMPLE_ROWS = (
    ("id", "question", "answer"),
    ("1", "多久能发货", "亲，下单后48小时内发货，节假日也照常发哦～"),
    ("1", "什么时候发出", ""),
    ("2", "支持七天无理由退货吗", "支持的亲，收到后7天内不影响二次销售都可以退换～"),
    ("2", "不喜欢可以退吗", ""),
)


@require_GET
@member_required
def faq_import_sample(request: HttpRequest, member: Membership) -> HttpResponse:
    """A small example table (UTF-8 with BOM, so Excel opens it with the Chinese intact)."""
    buffer = io.StringIO()
    csv.writer(buffer).writerows(_SAMPLE_ROWS)
    response = HttpResponse("\ufeff" + buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="faq-sample.csv"'
    return response
