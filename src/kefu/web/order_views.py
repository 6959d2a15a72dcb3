"""Order pages: import a seller export (upload → preview → import with a progress bar), the list.

The uploaded file waits on disk between the steps (kefu.orders.staging; the session holds
its token), the import runs in a background thread (kefu.orders.jobs) and the page polls
its status. Who may import is decided by the services; the views parse and render.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.files.uploadhandler import SkipFile, TemporaryFileUploadHandler
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_http_methods

from kefu import errors
from kefu.customers.models import Platform
from kefu.orders import headers as order_headers
from kefu.orders import importing, jobs, listing, staging
from kefu.shops.models import Membership
from kefu.shops.services import require_role
from kefu.web.views import member_required, render_page, render_refusal

STAGE_KEY = "kefu_order_import"
SHOWN_ERRORS = 100
PAGE_SIZE = 50
MAX_FILE_BYTES = importing.FILE_LIMITS.max_bytes
# The multipart body around the file (boundaries, the form's other fields) is small.
MAX_BODY_BYTES = MAX_FILE_BYTES + 1024 * 1024
KEEP_ALL_OR_NOTHING, KEEP_GOOD_ROWS = "all", "good"


class OrderUploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("选择文件"),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx,.txt"}),
    )
    platform = forms.ChoiceField(
        label=gettext_lazy("平台"),
        required=False,
        choices=[("", gettext_lazy("自动识别")), *Platform.choices],
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Filled here, per request, so it follows the request's language.
        self.fields["file"].help_text = _(
            "从卖家后台导出的订单 CSV 或 Excel .xlsx，不超过 %(mb)d MB。"
        ) % {"mb": MAX_FILE_BYTES // (1024 * 1024)}


class _BoundedUpload(TemporaryFileUploadHandler):
    """Streams the upload to a temporary file and drops a file past the import's limit.

    Django's settings bound the request's form fields (DATA_UPLOAD_MAX_MEMORY_SIZE) and keep
    big files out of memory (FILE_UPLOAD_MAX_MEMORY_SIZE), but bound no file's size: this
    handler does, so a 5 GB upload never lands on disk.
    """

    def __init__(self, request: HttpRequest, limit: int) -> None:
        super().__init__(request)
        self.limit = limit
        self.received = 0
        self.too_big = False

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        self.received += len(raw_data)
        if self.received > self.limit:
            self.too_big = True
            self.file.close()
            raise SkipFile
        return super().receive_data_chunk(raw_data, start)


# --- import: upload, preview, start ---------------------------------------------------------


@csrf_exempt  # checked below, once the bounded upload handler is in place
@require_http_methods(["GET", "POST"])
def import_page(request: HttpRequest) -> HttpResponse:
    """Step 1 upload, step 2 preview with the column mapping, then the import starts."""
    if request.method == "POST" and _declared_length(request) > MAX_BODY_BYTES:
        # Refused before a byte of the body is read.
        message = _("文件太大了，订单文件最大 %(mb)d MB。") % {"mb": MAX_FILE_BYTES // 1024**2}
        return HttpResponse(message, status=413, content_type="text/plain; charset=utf-8")
    handler = _BoundedUpload(request, MAX_FILE_BYTES)
    # Must be set before anything reads request.POST (hence csrf_exempt above).
    request.upload_handlers = [handler]
    return _import_page(request, handler=handler)


@csrf_protect
@member_required
def _import_page(
    request: HttpRequest, member: Membership, *, handler: _BoundedUpload
) -> HttpResponse:
    try:
        require_role(member, *importing.IMPORTERS)
        if request.method == "POST":
            action = request.POST.get("action", "upload")
            if action == "upload":
                return _upload(request, member, handler)
            if action in ("preview", "import"):
                return _staged_step(request, member, action)
            _discard_staged(request)
            return redirect("orders:import")
    except errors.Forbidden as refusal:
        return render_refusal(request, refusal, member=member)
    return _render_upload(request, member, OrderUploadForm())


def _render_upload(request: HttpRequest, member: Membership, form: OrderUploadForm) -> HttpResponse:
    return render_page(request, member, "web/orders_import.html", {"form": form})


def _upload(request: HttpRequest, member: Membership, handler: _BoundedUpload) -> HttpResponse:
    form = OrderUploadForm(request.POST, request.FILES)
    if handler.too_big:
        form.add_error(
            None, _("文件太大了，订单文件最大 %(mb)d MB。") % {"mb": MAX_FILE_BYTES // 1024**2}
        )
        return _render_upload(request, member, form)
    if not form.is_valid():
        return _render_upload(request, member, form)
    _discard_staged(request)
    upload = form.cleaned_data["file"]
    token = staging.stage_upload(upload.chunks())
    staged = {
        "token": token,
        "filename": upload.name,
        "platform": form.cleaned_data["platform"] or "",
        "mapping": {},
    }
    try:
        preview = _preview(member, staged)
    except errors.ServiceError as error:
        staging.discard_upload(token)
        form.add_error("file", error.message)
        return _render_upload(request, member, form)
    _remember(request, staged, preview)
    return _render_preview(request, member, staged, preview)


def _staged_step(request: HttpRequest, member: Membership, action: str) -> HttpResponse:
    staged = request.session.get(STAGE_KEY)
    path = staging.staged_path(staged["token"]) if staged else None
    if staged is None or path is None:
        messages.error(request, _("上传的文件已过期，请重新上传。"))
        return redirect("orders:import")
    staged["platform"] = _posted_platform(request, staged["platform"])
    staged["mapping"] = _posted_mapping(request, staged)
    if action == "import":
        import_id = jobs.start_import(
            actor=member,
            path=path,
            filename=staged["filename"],
            platform=staged["platform"] or None,
            mapping=staged["mapping"] or None,
            keep_good_rows=request.POST.get("keep") == KEEP_GOOD_ROWS,
            expected_rows=staged.get("rows", 0),
        )
        request.session.pop(STAGE_KEY, None)  # the job owns (and deletes) the file now
        return redirect("orders:import_detail", import_id=import_id)
    try:
        preview = _preview(member, staged)
    except errors.ServiceError as error:
        messages.error(request, error.message)
        return redirect("orders:import")
    _remember(request, staged, preview)
    return _render_preview(request, member, staged, preview)


def _preview(member: Membership, staged: dict[str, Any]) -> importing.Preview:
    path = staging.staged_path(staged["token"])
    if path is None:
        raise errors.ServiceError("expired", _("上传的文件已过期，请重新上传。"))
    return importing.preview_orders_file(
        actor=member,
        filename=staged["filename"],
        data=path.read_bytes(),
        platform=staged["platform"] or None,
        mapping=staged["mapping"] or None,
    )


def _remember(request: HttpRequest, staged: dict[str, Any], preview: importing.Preview) -> None:
    """What the next step needs: the token, and the columns as shown (to see what was edited)."""
    staged["headers"] = [c.header for c in preview.columns]
    staged["shown"] = [c.field for c in preview.columns]
    staged["rows"] = preview.total_rows
    request.session[STAGE_KEY] = staged


def _posted_platform(request: HttpRequest, current: str) -> str:
    posted = request.POST.get("platform", current)
    return posted if posted in Platform.values else ""


def _posted_mapping(request: HttpRequest, staged: dict[str, Any]) -> dict[str, str]:
    """The mapping given so far plus the columns whose select now differs from the preview."""
    mapping = dict(staged.get("mapping", {}))
    for index, (header, shown) in enumerate(zip(staged["headers"], staged["shown"], strict=True)):
        posted = request.POST.get(f"map-{index}")
        if posted is not None and posted != shown:
            mapping[header] = posted
    return mapping


def _discard_staged(request: HttpRequest) -> None:
    staged = request.session.pop(STAGE_KEY, None)
    if staged:
        staging.discard_upload(staged["token"])


def _render_preview(
    request: HttpRequest, member: Membership, staged: dict[str, Any], preview: importing.Preview
) -> HttpResponse:
    fields = [c.field for c in preview.columns if c.field]
    labels = order_headers.FIELD_LABELS
    context = {
        "preview": preview,
        "staged": staged,
        "platform_choices": [("", _("自动识别")), *Platform.choices],
        "platform_label": Platform(preview.platform).label if preview.platform else "",
        "field_choices": [("", _("不导入")), *((f, labels[f]) for f in labels)],
        "columns": [(index, column) for index, column in enumerate(preview.columns)],
        "row_headers": [
            (labels[f], next(c.header for c in preview.columns if c.field == f)) for f in fields
        ],
        "rows": [[row.get(f, "") for f in fields] for row in preview.rows],
        "file_problem": any(e.row == 0 for e in preview.errors),
        "shown_errors": preview.errors[:SHOWN_ERRORS],
        "hidden_errors": max(0, len(preview.errors) - SHOWN_ERRORS),
        "keep_all": KEEP_ALL_OR_NOTHING,
        "keep_good": KEEP_GOOD_ROWS,
    }
    return render_page(request, member, "web/orders_import.html", context)


def _declared_length(request: HttpRequest) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0


# --- one import: progress, result, error file -----------------------------------------------


@require_GET
@member_required
def import_detail(request: HttpRequest, member: Membership, import_id: int) -> HttpResponse:
    """The import's progress bar while it runs (the script polls), its result once it ends."""
    try:
        status = jobs.import_status(actor=member, import_id=import_id)
    except errors.Forbidden as refusal:
        return render_refusal(request, refusal, member=member)
    except errors.NotFound:
        raise Http404 from None
    record = status.record
    context = {
        "status": status,
        "record": record,
        "label": _progress_label(status),
        "shown_errors": record.errors[:SHOWN_ERRORS],
        "hidden_errors": max(0, len(record.errors) - SHOWN_ERRORS),
        "has_error_file": bool(record.error_file),
        "stored_nothing": status.state == jobs.FAILED,
    }
    return render_page(request, member, "web/orders_import.html", context)


@require_GET
@member_required
def import_status(request: HttpRequest, member: Membership, import_id: int) -> JsonResponse:
    try:
        status = jobs.import_status(actor=member, import_id=import_id)
    except (errors.Forbidden, errors.NotFound) as error:
        return JsonResponse(
            {"error": {"code": error.code, "message": error.message}}, status=error.status
        )
    record = status.record
    return JsonResponse(
        {
            "id": record.id,
            "state": status.state,
            "phase": status.phase,
            "done": status.done,
            "total": status.total,
            "percent": status.percent,
            "label": _progress_label(status),
            "rows": record.rows,
            "created": record.created,
            "updated": record.updated,
            "bad_rows": record.bad_rows,
            "message": status.message,
        }
    )


@require_GET
@member_required
def import_errors(request: HttpRequest, member: Membership, import_id: int) -> HttpResponse:
    """The bad rows of an import with their reasons, to fix and import again."""
    try:
        record = jobs.get_import_for(actor=member, import_id=import_id)
    except errors.Forbidden as refusal:
        return render_refusal(request, refusal, member=member)
    except errors.NotFound:
        raise Http404 from None
    if not record.error_file:
        raise Http404
    response = HttpResponse(bytes(record.error_file), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="order-import-{record.id}-errors.csv"'
    return response


def _progress_label(status: jobs.ImportStatus) -> str:
    numbers = {"done": f"{status.done:,}", "total": f"{status.total:,}"}
    if status.phase == jobs.READING:
        if not status.total:
            return _("已处理 %(done)s 行") % numbers
        return _("已处理 %(done)s / %(total)s 行") % numbers
    if status.phase == jobs.WRITING:
        return _("正在写入订单 %(done)s / %(total)s") % numbers
    if status.phase == jobs.SEGMENTING:
        return _("正在重新计算客户分层…")
    if status.state == jobs.DONE:
        return _("导入完成：%(done)s 行") % numbers
    return _("导入没有完成")


# --- the orders list ------------------------------------------------------------------------


@require_GET
@member_required
def order_list(request: HttpRequest, member: Membership) -> HttpResponse:
    """The shop's orders (searchable, 50 a page) and, for importers, the recent imports."""
    query = request.GET.get("q", "").strip()
    paginator = Paginator(listing.search_orders(actor=member, query=query), PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    try:
        imports = listing.recent_imports(actor=member)
    except errors.Forbidden:
        imports = None  # agents read orders, not the files they came from
    context = {
        "query": query,
        "page": page,
        "lines": listing.order_lines(actor=member, orders=list(page.object_list)),
        "imports": imports,
        "previous_query": _page_query(query, page.number - 1),
        "next_query": _page_query(query, page.number + 1),
        "import_url": reverse("orders:import"),
    }
    return render_page(request, member, "web/orders.html", context)


def _page_query(query: str, number: int) -> str:
    return urlencode({"q": query, "page": number} if query else {"page": number})
