"""FAQ import from CSV and XLSX: encodings, grouping phrasings, all-or-nothing, limits."""

from __future__ import annotations

import io

import pytest
from openpyxl import Workbook

from kefu.errors import Forbidden
from kefu.playbook import services
from kefu.playbook.faq_files import MAX_FILE_BYTES, MAX_ROWS
from kefu.playbook.models import FaqEntry

pytestmark = pytest.mark.django_db

CSV_TEXT = (
    "id,question,answer\n"
    "1,多久发货,亲，下单后48小时内发货哦～\n"
    "1,什么时候发出,\n"
    "2,包邮吗,满99元包邮的亲～\n"
)


def xlsx(rows: list[list[object]]) -> bytes:
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def run(actor, data: bytes, filename: str = "faq.csv", dry_run: bool = False, **kw):  # type: ignore[no-untyped-def]
    return services.import_faq_file(
        actor=actor, filename=filename, data=data, dry_run=dry_run, **kw
    )


def stored() -> list[tuple[list[str], str]]:
    return [(e.question_list, e.answer) for e in FaqEntry.objects.order_by("id")]


EXPECTED = [
    (["多久发货", "什么时候发出"], "亲，下单后48小时内发货哦～"),
    (["包邮吗"], "满99元包邮的亲～"),
]


@pytest.mark.parametrize(
    "data",
    [
        CSV_TEXT.encode("utf-8"),
        b"\xef\xbb\xbf" + CSV_TEXT.encode("utf-8"),
        CSV_TEXT.encode("gbk"),
    ],
    ids=["utf-8", "utf-8-bom", "gbk"],
)
def test_csv_in_each_encoding_imports_the_same_entries(make_shop, data):
    people = make_shop()

    result = run(people.owner, data)

    assert (result.ok, result.imported, result.rows, result.entries) == (True, True, 3, 2)
    assert stored() == EXPECTED


def test_xlsx_made_in_a_spreadsheet_imports(make_shop):
    people = make_shop()
    data = xlsx(
        [
            ["id", "question", "answer"],
            [1, "多久发货", "亲，下单后48小时内发货哦～"],
            [1, "什么时候发出", None],
            [2, "包邮吗", "满99元包邮的亲～"],
        ]
    )

    result = run(people.owner, data, filename="常见问题.xlsx")

    assert result.imported
    assert stored() == EXPECTED


def test_chinese_headers_without_id_group_rows_by_answer(make_shop):
    people = make_shop()
    data = "问题,答案\n多久发货,48小时内发货\n几天能发,48小时内发货\n包邮吗,满99包邮\n".encode()

    result = run(people.owner, data)

    assert result.entries == 2
    assert stored() == [(["多久发货", "几天能发"], "48小时内发货"), (["包邮吗"], "满99包邮")]


def test_several_phrasings_in_one_cell_are_kept_apart(make_shop):
    people = make_shop()
    data = xlsx([["问题", "答案"], ["多久发货\n几天能发", "48小时内发货"]])

    run(people.owner, data, filename="faq.xlsx")

    assert stored() == [(["多久发货", "几天能发"], "48小时内发货")]


def test_dry_run_previews_without_saving(make_shop):
    people = make_shop()

    result = run(people.owner, CSV_TEXT.encode(), dry_run=True)

    assert result.ok and not result.imported
    assert [list(e.questions) for e in result.preview] == [["多久发货", "什么时候发出"], ["包邮吗"]]
    assert [e.row for e in result.preview] == [2, 4]
    assert not FaqEntry.objects.exists()


def test_one_bad_row_imports_nothing_and_names_the_row(make_shop):
    people = make_shop()
    data = (CSV_TEXT + "3,,退货地址在哪\n").encode()

    result = run(people.owner, data)

    assert not result.imported
    assert [(e.row, "问题" in e.reason) for e in result.errors] == [(5, True)]
    assert not FaqEntry.objects.exists()


def test_one_id_with_two_answers_is_an_error(make_shop):
    people = make_shop()
    data = "id,question,answer\n1,多久发货,48小时\n1,几天发,当天发\n".encode()

    result = run(people.owner, data)

    assert [e.row for e in result.errors] == [3]
    assert not FaqEntry.objects.exists()


def test_an_id_that_never_gets_an_answer_is_an_error(make_shop):
    people = make_shop()
    data = "id,question,answer\n1,多久发货,\n1,几天发,\n".encode()

    result = run(people.owner, data)

    assert [(e.row, "回答" in e.reason) for e in result.errors] == [(2, True)]


def test_one_question_with_two_answers_in_the_file_is_an_error(make_shop):
    people = make_shop()
    data = "问题,答案\n多久发货,48小时\n多久发货？,当天发\n".encode()

    result = run(people.owner, data)

    assert [e.row for e in result.errors] == [3]


def test_question_the_shop_already_answers_is_an_error(make_shop):
    people = make_shop()
    services.create_faq_entry(actor=people.owner, questions="包邮吗", answer="不包邮")

    result = run(people.owner, CSV_TEXT.encode())

    assert [e.row for e in result.errors] == [4]
    assert stored() == [(["包邮吗"], "不包邮")]


def test_replace_swaps_the_shops_entries_in_one_go(make_shop):
    people = make_shop()
    services.create_faq_entry(actor=people.owner, questions="包邮吗", answer="不包邮")
    services.create_faq_entry(actor=people.owner, questions="有发票吗", answer="有的")

    result = run(people.owner, CSV_TEXT.encode(), replace=True)

    assert (result.imported, result.replaced) == (True, 2)
    assert stored() == EXPECTED


def test_import_goes_into_the_actors_shop_only(make_shop):
    first, second = make_shop(), make_shop()
    services.create_faq_entry(actor=second.owner, questions="有发票吗", answer="有的")

    run(first.supervisor, CSV_TEXT.encode(), replace=True)

    assert FaqEntry.objects.filter(shop=second.shop).count() == 1
    assert FaqEntry.objects.filter(shop=first.shop).count() == 2


def test_empty_file_is_reported(make_shop):
    people = make_shop()

    result = run(people.owner, b"")

    assert not result.ok
    assert "空" in result.errors[0].reason


def test_header_only_file_is_reported(make_shop):
    people = make_shop()

    result = run(people.owner, "问题,答案\n".encode())

    assert not result.ok and result.rows == 0


def test_file_without_the_expected_header_is_reported_on_row_one(make_shop):
    people = make_shop()

    result = run(people.owner, "多久发货,48小时\n".encode())

    assert [e.row for e in result.errors] == [1]


def test_file_over_the_size_limit_is_refused(make_shop):
    people = make_shop()
    data = ("问题,答案\n" + "多久发货,好\n" * (MAX_FILE_BYTES // 10)).encode()

    result = run(people.owner, data)

    assert not result.ok and "太大" in result.errors[0].reason
    assert not FaqEntry.objects.exists()


def test_file_over_the_row_limit_is_refused(make_shop):
    people = make_shop()
    lines = "".join(f"问题{i},答案{i}\n" for i in range(MAX_ROWS + 1))
    data = ("问题,答案\n" + lines).encode()

    result = run(people.owner, data)

    assert not result.ok and "行数" in result.errors[0].reason
    assert not FaqEntry.objects.exists()


def test_blank_rows_do_not_count_towards_the_row_limit(make_shop):
    people = make_shop()
    lines = "".join(f"问题{i},答案{i}\n\n" for i in range(MAX_ROWS))
    data = ("问题,答案\n" + lines).encode()

    result = run(people.owner, data, dry_run=True)

    assert result.ok and result.entries == MAX_ROWS


def test_row_numbers_count_blank_rows_as_a_spreadsheet_does(make_shop):
    people = make_shop()
    data = "问题,答案\n\n多久发货,\n".encode()

    result = run(people.owner, data)

    assert [e.row for e in result.errors] == [3]


def test_unknown_file_type_is_refused(make_shop):
    people = make_shop()

    result = run(people.owner, b"PK\x03\x04", filename="faq.xls")

    assert not result.ok and ".xlsx" in result.errors[0].reason


def test_broken_xlsx_is_reported_not_raised(make_shop):
    people = make_shop()

    result = run(people.owner, b"not a zip at all", filename="faq.xlsx")

    assert not result.ok and result.errors[0].row == 0


def test_agent_cannot_import(make_shop):
    people = make_shop()

    with pytest.raises(Forbidden):
        run(people.agent, CSV_TEXT.encode(), dry_run=True)
    assert not FaqEntry.objects.exists()
