"""The playbook pages: FAQ (and its import), scripts, banned words, products, shop rules."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from kefu.playbook import services as playbook_services
from kefu.playbook.models import CheckerTerm, FaqEntry, Product, ShopScript
from kefu.shops.models import FaqMode, Shop

pytestmark = pytest.mark.django_db
PASSWORD = "s3cret-pass"
XSS = "<img src=x onerror=alert(1)>"
XSS_ESCAPED = "&lt;img src=x onerror=alert(1)&gt;"
FAQ_CSV = "id,question,answer\n1,多久发货,48小时内发货哦\n1,几天能发出,\n2,包邮吗,满99包邮\n"


def login(client, member) -> None:  # type: ignore[no-untyped-def]
    assert client.login(username=member.user.username, password=PASSWORD)


def upload(text: str, name: str = "faq.csv", encoding: str = "utf-8") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode(encoding), content_type="text/csv")


# --- FAQ ------------------------------------------------------------------------------------


def test_supervisor_adds_an_faq_entry(make_shop, client):
    people = make_shop()
    login(client, people.supervisor)

    response = client.post(
        "/desk/faq/", {"questions": "多久发货\n几天能发出", "answer": "48小时内"}, follow=True
    )

    entry = FaqEntry.objects.get(shop=people.shop)
    assert entry.question_list == ["多久发货", "几天能发出"]
    assert "常见问题已添加" in response.content.decode()


def test_question_taken_is_shown_next_to_the_questions(make_shop, client):
    people = make_shop()
    playbook_services.create_faq_entry(actor=people.owner, questions="多久发货", answer="48小时")
    login(client, people.owner)

    response = client.post("/desk/faq/", {"questions": "多久发货", "answer": "当天"})

    html = response.content.decode()
    field = html.index('name="questions"')
    assert "已经在另一条常见问题里" in html[field : field + 1500]
    assert FaqEntry.objects.count() == 1


def test_agent_reads_the_faq_without_edit_buttons(make_shop, client):
    people = make_shop()
    entry = playbook_services.create_faq_entry(
        actor=people.owner, questions="多久发货", answer="48小时"
    )
    login(client, people.agent)

    html = client.get("/desk/faq/").content.decode()

    assert "48小时" in html
    assert f"/desk/faq/{entry.id}/delete/" not in html
    assert 'name="answer"' not in html


def test_agent_cannot_add_change_or_delete_an_faq_entry(make_shop, client):
    people = make_shop()
    entry = playbook_services.create_faq_entry(
        actor=people.owner, questions="多久发货", answer="48小时"
    )
    login(client, people.agent)

    added = client.post("/desk/faq/", {"questions": "包邮吗", "answer": "包邮"})
    changed = client.post(f"/desk/faq/{entry.id}/", {"questions": "多久发货", "answer": "改了"})
    deleted = client.post(f"/desk/faq/{entry.id}/delete/")

    assert (added.status_code, changed.status_code, deleted.status_code) == (403, 403, 403)
    assert [(e.id, e.answer) for e in FaqEntry.objects.all()] == [(entry.id, "48小时")]


def test_owner_edits_and_deletes_an_faq_entry(make_shop, client):
    people = make_shop()
    entry = playbook_services.create_faq_entry(
        actor=people.owner, questions="多久发货", answer="48小时"
    )
    login(client, people.owner)

    client.post(f"/desk/faq/{entry.id}/", {"questions": "多久发货", "answer": "当天发"})
    assert FaqEntry.objects.get(id=entry.id).answer == "当天发"
    client.post(f"/desk/faq/{entry.id}/delete/")
    assert not FaqEntry.objects.filter(id=entry.id).exists()


def test_another_shops_faq_entry_cannot_be_touched(make_shop, client):
    people, other = make_shop(), make_shop()
    theirs = playbook_services.create_faq_entry(
        actor=other.owner, questions="多久", answer="他们的"
    )
    login(client, people.owner)

    assert client.get(f"/desk/faq/{theirs.id}/").status_code == 404
    assert client.post(f"/desk/faq/{theirs.id}/delete/").status_code == 404
    assert FaqEntry.objects.filter(id=theirs.id).exists()


def test_faq_delete_needs_a_post(make_shop, client):
    people = make_shop()
    entry = playbook_services.create_faq_entry(actor=people.owner, questions="多久", answer="好")
    login(client, people.owner)

    assert client.get(f"/desk/faq/{entry.id}/delete/").status_code == 405
    assert FaqEntry.objects.filter(id=entry.id).exists()


def test_faq_form_without_csrf_token_is_rejected(make_shop):
    people = make_shop()
    client = Client(enforce_csrf_checks=True)
    login(client, people.owner)

    response = client.post("/desk/faq/", {"questions": "多久发货", "answer": "48小时"})

    assert response.status_code == 403
    assert not FaqEntry.objects.exists()


def test_playbook_pages_need_a_login(client):
    for url in (
        "/desk/faq/",
        "/desk/faq/import/",
        "/desk/scripts/",
        "/desk/terms/",
        "/desk/products/",
    ):
        response = client.get(url)
        assert response.status_code == 302 and "login" in response["Location"]


def test_faq_text_is_shown_as_text(make_shop, client):
    people = make_shop()
    playbook_services.create_faq_entry(actor=people.owner, questions=XSS, answer=XSS)
    login(client, people.owner)

    html = client.get("/desk/faq/").content.decode()

    assert XSS not in html
    assert html.count(XSS_ESCAPED) == 2


# --- FAQ import -----------------------------------------------------------------------------


def test_import_previews_first_and_saves_only_on_confirm(make_shop, client):
    people = make_shop()
    login(client, people.owner)

    preview = client.post("/desk/faq/import/", {"action": "preview", "file": upload(FAQ_CSV)})

    html = preview.content.decode()
    assert "几天能发出" in html and "确认导入 2 条" in html
    assert not FaqEntry.objects.exists()

    confirmed = client.post("/desk/faq/import/", {"action": "confirm"}, follow=True)

    assert "已导入 2 条常见问题" in confirmed.content.decode()
    assert sorted(e.answer for e in FaqEntry.objects.filter(shop=people.shop)) == [
        "48小时内发货哦",
        "满99包邮",
    ]


def test_gbk_csv_imports_through_the_page(make_shop, client):
    people = make_shop()
    login(client, people.owner)

    client.post("/desk/faq/import/", {"action": "preview", "file": upload(FAQ_CSV, encoding="gbk")})
    client.post("/desk/faq/import/", {"action": "confirm"})

    assert FaqEntry.objects.filter(shop=people.shop).count() == 2


def test_bad_row_is_reported_with_its_number_and_nothing_is_offered(make_shop, client):
    people = make_shop()
    login(client, people.owner)

    response = client.post(
        "/desk/faq/import/", {"action": "preview", "file": upload(FAQ_CSV + "3,,没有问题\n")}
    )

    html = response.content.decode()
    assert "第 5 行" in html and "没有填问题" in html
    assert 'value="confirm"' not in html
    client.post("/desk/faq/import/", {"action": "confirm"})
    assert not FaqEntry.objects.exists()


def test_confirm_without_a_preview_imports_nothing(make_shop, client):
    people = make_shop()
    login(client, people.owner)

    response = client.post("/desk/faq/import/", {"action": "confirm"})

    assert "请重新上传" in response.content.decode()
    assert not FaqEntry.objects.exists()


def test_import_preview_escapes_the_files_text(make_shop, client):
    people = make_shop()
    login(client, people.owner)

    response = client.post(
        "/desk/faq/import/", {"action": "preview", "file": upload(f"问题,答案\n{XSS},{XSS}\n")}
    )

    html = response.content.decode()
    assert XSS not in html and XSS_ESCAPED in html


def test_agent_cannot_import(make_shop, client):
    people = make_shop()
    login(client, people.agent)

    page = client.get("/desk/faq/import/").content.decode()
    response = client.post("/desk/faq/import/", {"action": "preview", "file": upload(FAQ_CSV)})

    assert 'type="file"' not in page
    assert response.status_code == 403
    assert not FaqEntry.objects.exists()


def test_sample_table_opens_in_excel_with_chinese_intact(make_shop, client):
    people = make_shop()
    login(client, people.agent)

    response = client.get("/desk/faq/import/sample.csv")

    assert response.content.startswith(b"\xef\xbb\xbf")
    assert response.content.decode("utf-8-sig").startswith("id,question,answer")


def test_the_sample_table_imports_cleanly(make_shop, client):
    people = make_shop()
    login(client, people.owner)
    sample = client.get("/desk/faq/import/sample.csv").content

    result = playbook_services.import_faq_file(
        actor=people.owner, filename="faq-sample.csv", data=sample, dry_run=True
    )

    assert result.ok and result.entries == 2


# --- scripts --------------------------------------------------------------------------------


def script_form(**changes: str) -> dict[str, str]:
    form = {
        "situation": "objection:price",
        "method_id": "average",
        "method": "",
        "why": "",
        "text": "亲，这件能穿好几年，摊到每天才{日均}元～",
    }
    form.update(changes)
    return form


def test_owner_replaces_a_builtin_method(make_shop, client):
    people = make_shop()
    login(client, people.owner)

    response = client.post("/desk/scripts/", script_form(), follow=True)

    script = ShopScript.objects.get(shop=people.shop)
    assert (script.situation, script.method_id, script.method) == (
        "objection:price",
        "average",
        "平均法",
    )
    assert "替换内置的平均法" in response.content.decode()


def test_scripts_page_lists_the_builtin_method_ids(make_shop, client):
    people = make_shop()
    login(client, people.agent)

    html = client.get("/desk/scripts/").content.decode()

    assert "average" in html and "complaint_vent" in html and "either_or" in html


def test_script_the_checker_flags_is_saved_with_a_warning(make_shop, client):
    people = make_shop()
    login(client, people.owner)

    response = client.post(
        "/desk/scripts/",
        script_form(method_id="", method="硬气法", text="不能便宜，爱买不买。"),
        follow=True,
    )

    assert ShopScript.objects.filter(shop=people.shop).exists()
    assert "提醒：" in response.content.decode()


def test_wrong_builtin_method_is_shown_next_to_its_field(make_shop, client):
    people = make_shop()
    login(client, people.owner)

    response = client.post("/desk/scripts/", script_form(situation="closing"))

    html = response.content.decode()
    field = html.index('name="method_id"')
    assert "这个场景没有要替换的这种内置方法" in html[field : field + 1500]
    assert not ShopScript.objects.exists()


def test_agent_cannot_add_a_script(make_shop, client):
    people = make_shop()
    login(client, people.agent)

    response = client.post("/desk/scripts/", script_form())

    assert response.status_code == 403
    assert not ShopScript.objects.exists()


def test_script_text_is_shown_as_text(make_shop, client):
    people = make_shop()
    playbook_services.create_script(
        actor=people.owner, situation="closing", method="<b>法</b>", text=XSS
    )
    login(client, people.agent)

    html = client.get("/desk/scripts/").content.decode()

    assert XSS not in html and XSS_ESCAPED in html
    assert "<b>法</b>" not in html


# --- banned words ---------------------------------------------------------------------------


def test_owner_adds_a_banned_word_and_sees_its_chinese_category(make_shop, client):
    people = make_shop()
    login(client, people.owner)

    response = client.post(
        "/desk/terms/",
        {"term": "清仓", "category": "negative", "severity": "high", "suggestion": "说限时特惠"},
        follow=True,
    )

    assert CheckerTerm.objects.get(shop=people.shop).severity == "high"
    html = response.content.decode()
    assert "负面语言" in html and "严重" in html


def test_category_outside_the_contract_is_refused_by_the_form(make_shop, client):
    people = make_shop()
    login(client, people.owner)

    client.post("/desk/terms/", {"term": "清仓", "category": "spam", "severity": "high"})

    assert not CheckerTerm.objects.exists()


def test_agent_cannot_add_a_banned_word(make_shop, client):
    people = make_shop()
    login(client, people.agent)

    response = client.post(
        "/desk/terms/", {"term": "清仓", "category": "negative", "severity": "high"}
    )

    assert response.status_code == 403
    assert not CheckerTerm.objects.exists()


def test_banned_word_is_shown_as_text(make_shop, client):
    people = make_shop()
    playbook_services.create_checker_term(
        actor=people.owner, term="<i>x</i>", category="rude", severity="low", suggestion=XSS
    )
    login(client, people.owner)

    html = client.get("/desk/terms/").content.decode()

    assert XSS not in html and "<i>x</i>" not in html and XSS_ESCAPED in html


# --- products -------------------------------------------------------------------------------


def test_owner_adds_a_product(make_shop, client):
    people = make_shop()
    login(client, people.owner)

    client.post(
        "/desk/products/",
        {"name": "羊毛衫", "list_price": "199", "floor_price": "169", "gift": "收纳袋"},
    )

    product = Product.objects.get(shop=people.shop)
    assert (product.list_price, product.floor_price) == (Decimal("199.00"), Decimal("169.00"))


def test_floor_above_list_price_is_shown_next_to_the_floor(make_shop, client):
    people = make_shop()
    login(client, people.owner)

    response = client.post(
        "/desk/products/", {"name": "羊毛衫", "list_price": "199", "floor_price": "299"}
    )

    html = response.content.decode()
    field = html.index('name="floor_price"')
    assert "最低价不能高于标价" in html[field : field + 1500]
    assert not Product.objects.exists()


def test_agent_sees_products_but_cannot_change_them(make_shop, client):
    people = make_shop()
    product = playbook_services.create_product(
        actor=people.owner, name="羊毛衫", list_price="199", floor_price="169"
    )
    login(client, people.agent)

    html = client.get("/desk/products/").content.decode()
    response = client.post(
        f"/desk/products/{product.id}/",
        {"name": "羊毛衫", "list_price": "199", "floor_price": "1"},
    )

    assert "169" in html and f"/desk/products/{product.id}/delete/" not in html
    assert response.status_code == 403
    assert Product.objects.get(id=product.id).floor_price == Decimal("169.00")


def test_product_name_is_shown_as_text(make_shop, client):
    people = make_shop()
    playbook_services.create_product(
        actor=people.owner, name=XSS, list_price="10", floor_price="9", gift=XSS
    )
    login(client, people.owner)

    html = client.get("/desk/products/").content.decode()

    assert XSS not in html and XSS_ESCAPED in html


# --- navigation and shop rules on the settings page ----------------------------------------


def test_top_bar_links_every_playbook_page(make_shop, client):
    people = make_shop()
    login(client, people.agent)

    html = client.get("/desk/quick-replies/").content.decode()

    for url in ("/desk/faq/", "/desk/scripts/", "/desk/terms/", "/desk/products/"):
        assert f'href="{url}"' in html


def settings_form(**changes: object) -> dict[str, object]:
    form: dict[str, object] = {
        "name": "小店",
        "hours_start": "09:00",
        "hours_end": "22:00",
        "open_days": ["0", "1", "2", "3", "4", "5", "6"],
        "default_capacity": "8",
        "no_bargain": "on",
        "free_shipping_threshold": "99",
        "faq_mode": "auto_score",
        "faq_threshold": "0.85",
    }
    form.update(changes)
    return form


def test_owner_sets_the_shop_rules_and_auto_answer(make_shop, client):
    people = make_shop()
    login(client, people.owner)

    client.post("/desk/settings/", settings_form())

    shop = Shop.objects.get(id=people.shop.id)
    assert shop.no_bargain is True
    assert shop.free_shipping_threshold == Decimal("99.00")
    assert (shop.faq_mode, shop.faq_threshold) == (FaqMode.AUTO_SCORE, 0.85)


def test_auto_answer_threshold_above_one_is_refused(make_shop, client):
    people = make_shop()
    login(client, people.owner)

    response = client.post("/desk/settings/", settings_form(faq_threshold="1.5"))

    assert response.status_code == 200
    assert Shop.objects.get(id=people.shop.id).faq_threshold == 0.8


def test_empty_free_shipping_threshold_means_no_threshold(make_shop, client):
    people = make_shop(free_shipping_threshold=Decimal("59"))
    login(client, people.owner)

    client.post("/desk/settings/", settings_form(free_shipping_threshold=""))

    assert Shop.objects.get(id=people.shop.id).free_shipping_threshold is None


def test_settings_page_shows_the_auto_answer_choices(make_shop, client):
    people = make_shop()
    login(client, people.agent)

    html = client.get("/desk/settings/").content.decode()

    assert "无客服在线时自动回答" in html and 'name="faq_threshold"' in html
