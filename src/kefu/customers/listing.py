"""Finding customers: search, filters, one page at a time, and the XLSX export.

A shop may hold a million customers, so a page never counts the whole table: it reads
one row more than it shows to know whether a next page exists, walks the
(shop, last_order_at) index for customers who ordered and the primary key for those
who never did, and fetches the page's tags in one query.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, fields
from decimal import Decimal
from itertools import islice
from typing import IO, Any
from urllib.parse import urlencode

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from kefu.customers import archive, rules
from kefu.customers.models import TYPE_FIELDS, Customer, CustomerTag, Platform, Segment
from kefu.errors import Forbidden
from kefu.shops.models import Membership

PAGE_SIZE = 50
EXPORT_CHUNK = 2000
MAX_TAG_CHOICES = 200
MAX_QUERY_CHARS = 100
# A cell starting with one of these may run as a formula ("-2+3+cmd|…" included); a plain
# negative number may not.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"-\d+(\.\d+)?")

# value -> (label, days): "within the last N days", or past them, or never.
LAST_ORDER_CHOICES = {
    "30": (gettext_lazy("30天内"), 30),
    "90": (gettext_lazy("90天内"), 90),
    "180": (gettext_lazy("180天内"), 180),
    "over180": (gettext_lazy("超过180天"), 180),
    "never": (gettext_lazy("从未下单"), 0),
}

# Fields a list row needs; the page reads only these.
_ROW_FIELDS = (
    "id",
    "platform",
    "nickname",
    "name",
    "phone",
    "segment",
    *TYPE_FIELDS,
    "total_orders",
    "last_order_at",
    "segmented_at",
)


@dataclass(frozen=True)
class CustomerFilters:
    """What the person searched for; values that make no sense are dropped, not refused."""

    q: str = ""
    segment: str = ""
    type: str = ""  # "field:value", e.g. "personality:dominant"
    tag: str = ""
    last_order: str = ""

    @classmethod
    def from_params(cls, params: Mapping[str, Any]) -> CustomerFilters:
        """Read the query string; a bad filter value means "no filter" rather than an error."""

        def text(key: str) -> str:
            return str(params.get(key) or "").strip()

        segment = text("segment")
        type_value = text("type")
        last_order = text("last_order")
        return cls(
            q=text("q")[:MAX_QUERY_CHARS],
            segment=segment if segment in Segment.values else "",
            type=type_value if _split_type(type_value) else "",
            tag=text("tag")[: archive.MAX_TAG_CHARS],
            last_order=last_order if last_order in LAST_ORDER_CHOICES else "",
        )

    @property
    def is_empty(self) -> bool:
        return not any(getattr(self, f.name) for f in fields(self))

    def query_string(self, **extra: Any) -> str:
        """The filters as a query string (for pagination and export links), empty ones left out."""
        pairs = [(f.name, getattr(self, f.name)) for f in fields(self) if getattr(self, f.name)]
        pairs += [(key, value) for key, value in extra.items() if value]
        return urlencode(pairs)


def _split_type(value: str) -> tuple[str, str] | None:
    field, _sep, choice = value.partition(":")
    if field in TYPE_FIELDS and choice in TYPE_FIELDS[field].values:
        return field, choice
    return None


def type_filter_choices() -> list[tuple[str, list[tuple[str, str]]]]:
    """The type filter's options, grouped by kind: [(性格, [("personality:amiable", 和睦型)…])…]."""
    return [
        (
            str(Customer._meta.get_field(field).verbose_name),
            [(f"{field}:{value}", str(label)) for value, label in choices.choices],
        )
        for field, choices in TYPE_FIELDS.items()
    ]


def tag_choices(*, actor: Membership) -> list[str]:
    """The tag names in use in the actor's shop, for the tag filter."""
    return list(
        CustomerTag.objects.filter(shop_id=actor.shop_id)
        .order_by("name")
        .values_list("name", flat=True)
        .distinct()[:MAX_TAG_CHOICES]
    )


def filtered_customers(
    *, actor: Membership, filters: CustomerFilters, now: dt.datetime | None = None
) -> QuerySet[Customer]:
    """The actor's shop's customers that match the filters (unordered)."""
    shop_id = actor.shop_id
    customers = Customer.objects.filter(shop_id=shop_id)
    if filters.q:
        customers = customers.filter(archive.matching(actor, filters.q))
    if filters.segment:
        customers = customers.filter(segment=filters.segment)
    picked = _split_type(filters.type)
    if picked:
        field, value = picked
        customers = customers.filter(**{field: value})
    if filters.tag:
        customers = customers.filter(
            id__in=CustomerTag.objects.filter(shop_id=shop_id, name=filters.tag).values(
                "customer_id"
            )
        )
    if filters.last_order:
        customers = _filter_last_order(customers, filters.last_order, now or timezone.now())
    return customers


def _filter_last_order(
    customers: QuerySet[Customer], choice: str, now: dt.datetime
) -> QuerySet[Customer]:
    if choice == "never":
        return customers.filter(last_order_at__isnull=True)
    since = now - dt.timedelta(days=LAST_ORDER_CHOICES[choice][1])
    if choice == "over180":
        return customers.filter(last_order_at__lt=since)
    return customers.filter(last_order_at__gte=since)


# --- one page of the list ---------------------------------------------------------------------


@dataclass(frozen=True)
class CustomerRow:
    """One line of the customer list, personal data already masked for the actor."""

    id: int
    platform: str
    platform_label: str
    nickname: str
    name: str
    phone: str
    segment: str
    segment_label: str  # "" until the shop's customers are first segmented
    type_labels: tuple[str, ...]
    tags: tuple[str, ...]
    total_orders: int
    last_order_at: dt.datetime | None


@dataclass(frozen=True)
class CustomerPage:
    rows: tuple[CustomerRow, ...]
    number: int
    has_previous: bool
    has_next: bool


def list_customers(
    *,
    actor: Membership,
    filters: CustomerFilters,
    page: int = 1,
    now: dt.datetime | None = None,
) -> CustomerPage:
    """One page of customers, last order first (those who never ordered last), then newest."""
    number = max(1, page)
    matching = filtered_customers(actor=actor, filters=filters, now=now)
    records = _page_records(matching, offset=(number - 1) * PAGE_SIZE, limit=PAGE_SIZE + 1)
    shown = records[:PAGE_SIZE]
    tags: dict[int, list[str]] = {}
    if shown:
        for customer_id, name in (
            CustomerTag.objects.filter(customer_id__in=[r["id"] for r in shown])
            .order_by("created_at", "id")
            .values_list("customer_id", "name")
        ):
            tags.setdefault(customer_id, []).append(name)
    sees_all = archive.can_see_personal_data(actor)
    return CustomerPage(
        rows=tuple(_row(record, tags.get(record["id"], []), sees_all) for record in shown),
        number=number,
        has_previous=number > 1,
        has_next=len(records) > PAGE_SIZE,
    )


def _page_records(matching: QuerySet[Customer], *, offset: int, limit: int) -> list[dict[str, Any]]:
    """Rows offset..offset+limit in list order.

    "Last order, newest first, never-ordered last" as one ORDER BY needs NULLS LAST,
    which the (shop, last_order_at) index cannot serve on PostgreSQL; read the two parts
    separately so each walks an index. Counting happens only for a page past the end of
    the first part.
    """
    ordered = matching.filter(last_order_at__isnull=False).order_by("-last_order_at", "-id")
    records = list(ordered.values(*_ROW_FIELDS)[offset : offset + limit])
    if len(records) == limit:
        return records
    never_offset = 0 if records or offset == 0 else offset - ordered.count()
    never = matching.filter(last_order_at__isnull=True).order_by("-id")
    records += never.values(*_ROW_FIELDS)[never_offset : never_offset + limit - len(records)]
    return records


def _row(record: dict[str, Any], tags: list[str], sees_all: bool) -> CustomerRow:
    name, phone = record["name"], record["phone"]
    if not sees_all:
        name, phone = archive.mask_name(name), archive.mask_phone(phone)
    return CustomerRow(
        id=record["id"],
        platform=record["platform"],
        platform_label=_label(Platform, record["platform"]),
        nickname=record["nickname"],
        name=name,
        phone=phone,
        segment=record["segment"],
        segment_label=_label(Segment, record["segment"]) if record["segmented_at"] else "",
        type_labels=tuple(
            _label(choices, record[field])
            for field, choices in TYPE_FIELDS.items()
            if record[field]
        ),
        tags=tuple(tags),
        total_orders=record["total_orders"],
        last_order_at=record["last_order_at"],
    )


def _label(choices: Any, value: str) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return value


# --- the XLSX export --------------------------------------------------------------------------


def export_headers() -> list[str]:
    return [
        _("平台"),
        _("买家账号"),
        _("姓名"),
        _("手机"),
        _("地址"),
        _("生日"),
        _("客户分层"),
        _("分层原因"),
        *(str(Customer._meta.get_field(field).verbose_name) for field in TYPE_FIELDS),
        _("标签"),
        _("近期订单数"),
        _("近期消费"),
        _("累计订单"),
        _("最近下单"),
    ]


def write_customers_xlsx(
    *,
    actor: Membership,
    filters: CustomerFilters,
    target: IO[bytes],
    now: dt.datetime | None = None,
) -> int:
    """Write the matching customers to `target` as XLSX; returns how many rows were written.

    Owners and supervisors only: the file carries whole names, phones and addresses. Rows
    are read 2,000 at a time and openpyxl's write-only mode keeps them on disk, so a
    shop of any size exports in bounded memory.
    """
    if not archive.can_see_personal_data(actor):
        raise Forbidden("export", _("只有店主和主管可以导出客户档案。"))
    segment_rules = rules.rules_for_shop(actor.shop_id)
    matching = filtered_customers(actor=actor, filters=filters, now=now).order_by("id")
    book = Workbook(write_only=True)
    sheet = book.create_sheet(_("客户档案"))
    sheet.append(export_headers())
    written = 0
    for chunk in _chunks(matching.iterator(chunk_size=EXPORT_CHUNK), EXPORT_CHUNK):
        tags: dict[int, list[str]] = {}
        for customer_id, name in (
            CustomerTag.objects.filter(customer_id__in=[c.id for c in chunk])
            .order_by("created_at", "id")
            .values_list("customer_id", "name")
        ):
            tags.setdefault(customer_id, []).append(name)
        for customer in chunk:
            sheet.append(_export_row(customer, tags.get(customer.id, []), segment_rules))
            written += 1
    book.save(target)
    return written


def _chunks(items: Iterator[Customer], size: int) -> Iterator[list[Customer]]:
    while chunk := list(islice(items, size)):
        yield chunk


def _export_row(customer: Customer, tags: list[str], segment_rules: rules.SegmentRules) -> list:
    last = customer.last_order_at
    return [
        _label(Platform, customer.platform),
        spreadsheet_text(customer.nickname),
        spreadsheet_text(customer.name),
        spreadsheet_text(customer.phone),
        spreadsheet_text(customer.address),
        customer.birthday,
        _label(Segment, customer.segment) if customer.segmented_at else "",
        rules.segment_reason(customer, segment_rules),
        *(
            _label(choices, getattr(customer, field)) if getattr(customer, field) else ""
            for field, choices in TYPE_FIELDS.items()
        ),
        spreadsheet_text("、".join(tags)),
        customer.seg_orders,
        Decimal(customer.seg_spend),
        customer.total_orders,
        timezone.localtime(last).replace(tzinfo=None, microsecond=0) if last else None,
    ]


def spreadsheet_text(value: str) -> str:
    """Text a buyer typed, made safe for a spreadsheet cell.

    "=HYPERLINK(…)" must not run as a formula when the owner opens the file, nor when
    they save it as CSV: such text gets a leading apostrophe. Control characters XLSX
    cannot hold are dropped.
    """
    value = ILLEGAL_CHARACTERS_RE.sub("", value or "")
    if value[:1] in _FORMULA_STARTS and not _PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value


def export_filename(now: dt.datetime | None = None) -> str:
    stamp = timezone.localtime(now or timezone.now())
    return f"customers-{stamp:%Y%m%d-%H%M}.xlsx"


def with_page(filters: CustomerFilters, page: int) -> str:
    """The list's query string for another page with the same filters."""
    return filters.query_string(page=page if page > 1 else None)
