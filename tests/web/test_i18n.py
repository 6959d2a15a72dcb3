"""English UI: the catalog is complete and compiled, pages follow the browser, the switch works."""

from __future__ import annotations

import ast
import gettext
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.test import Client
from django.utils import translation

import kefu

PASSWORD = "s3cret-pass"
PACKAGE_DIR = Path(kefu.__file__).resolve().parent
CATALOG_DIR = PACKAGE_DIR / "locale" / "en" / "LC_MESSAGES"
ENGLISH = {"HTTP_ACCEPT_LANGUAGE": "en-US,en;q=0.9"}

# Placeholders owners or code fill in: %(name)s for Python, {排队人数}-style for shop text.
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|\{[^{}\s]+\}")
# {% translate "..." %} with a plain literal: the easy part of the template strings to find.
TEMPLATE_LITERAL = re.compile(r"""\{%\s*(?:translate|trans)\s+("[^"]*"|'[^']*')""")


@pytest.fixture(autouse=True)
def _back_to_default_language() -> Iterator[None]:
    """LocaleMiddleware activates the request's language and never undoes it: don't leak it."""
    yield
    translation.deactivate()


# --- the catalog ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    msgid: str
    msgstrs: tuple[str, ...]
    flags: frozenset[str]


def parse_po(path: Path) -> list[Entry]:
    """The entries of a .po file, header and obsolete (#~) entries left out."""
    entries: list[Entry] = []
    for block in path.read_text(encoding="utf-8").split("\n\n"):
        flags: set[str] = set()
        fields: dict[str, str] = {}
        current = ""
        for line in block.splitlines():
            if line.startswith("#,"):
                flags.update(flag.strip() for flag in line[2:].split(","))
            elif line.startswith("#"):
                continue
            elif line.startswith('"'):
                fields[current] += ast.literal_eval(line)
            else:
                current, _, literal = line.partition(" ")
                fields[current] = ast.literal_eval(literal)
        if fields.get("msgid"):
            msgstrs = tuple(v for k, v in sorted(fields.items()) if k.startswith("msgstr"))
            entries.append(Entry(fields["msgid"], msgstrs, frozenset(flags)))
    return entries


@pytest.fixture(scope="module")
def entries() -> list[Entry]:
    return parse_po(CATALOG_DIR / "django.po")


def test_catalog_has_the_ui_strings(entries):
    msgids = {e.msgid for e in entries}

    assert {"工作台", "快捷回复", "店铺设置", "认领", "转接", "登录"} <= msgids


def test_every_msgid_has_an_english_translation(entries):
    untranslated = [e.msgid for e in entries if not all(s.strip() for s in e.msgstrs)]

    assert untranslated == [], "translate these in src/kefu/locale/en/LC_MESSAGES/django.po"


def test_no_translation_is_marked_fuzzy(entries):
    fuzzy = [e.msgid for e in entries if "fuzzy" in e.flags]

    assert fuzzy == [], "check these translations and remove their #, fuzzy flag"


def test_translations_keep_every_placeholder(entries):
    broken = [
        (e.msgid, s)
        for e in entries
        for s in e.msgstrs
        if sorted(PLACEHOLDER.findall(s)) != sorted(PLACEHOLDER.findall(e.msgid))
    ]

    assert broken == []


def test_compiled_catalog_matches_the_po_file(entries):
    with (CATALOG_DIR / "django.mo").open("rb") as mo:
        compiled = gettext.GNUTranslations(mo)

    stale = [
        e.msgid
        for e in entries
        if len(e.msgstrs) == 1 and compiled.gettext(e.msgid) != e.msgstrs[0]
    ]

    assert stale == [], "run: kefu manage compilemessages"


def test_every_template_literal_is_in_the_catalog(entries):
    msgids = {e.msgid for e in entries}
    missing = sorted(
        f"{template.relative_to(PACKAGE_DIR)}: {ast.literal_eval(literal)}"
        for template in PACKAGE_DIR.glob("*/templates/**/*.html")
        for literal in TEMPLATE_LITERAL.findall(template.read_text(encoding="utf-8"))
        if ast.literal_eval(literal) not in msgids
    )

    assert missing == [], "run makemessages -l en (see docs) and translate the new strings"


# --- pages ----------------------------------------------------------------------------------


def login(client: Client, member: object) -> None:
    assert client.login(username=member.user.username, password=PASSWORD)  # type: ignore[attr-defined]


@pytest.mark.django_db
def test_login_page_is_chinese_by_default(client):
    html = client.get("/accounts/login/").content.decode()

    assert '<html lang="zh-CN"' in html
    assert "账号登录" in html
    assert "Sign in to your account" not in html


@pytest.mark.django_db
def test_login_page_is_english_for_an_english_browser(client):
    html = client.get("/accounts/login/", **ENGLISH).content.decode()

    assert '<html lang="en" data-lang="en"' in html
    assert "Sign in to your account" in html
    assert "Password" in html
    assert "账号登录" not in html


@pytest.mark.django_db
def test_a_chinese_browser_gets_chinese_even_if_english_is_second(client):
    html = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="zh-CN,zh;q=0.9,en;q=0.8")

    assert "账号登录" in html.content.decode()


def test_workbench_chrome_is_english_for_an_english_browser(make_shop, client):
    people = make_shop()
    login(client, people.owner)

    html = client.get("/desk/", **ENGLISH).content.decode()

    for text in ("Workbench", "Quick replies", "Shop settings", "Members", "Log out"):
        assert f">{text}<" in html
    for text in ("Waiting", "Mine", "All"):
        assert f">{text}<span" in html
    for text in ("Claim", "Transfer", "Close"):
        assert f">{text}</button>" in html
    assert "工作台" not in html


def test_workbench_chrome_is_chinese_by_default(make_shop, client):
    people = make_shop()
    login(client, people.owner)

    html = client.get("/desk/").content.decode()

    assert ">工作台<" in html
    assert ">快捷回复<" in html
    assert ">Workbench<" not in html


def test_the_switch_offers_the_other_language(make_shop, client):
    people = make_shop()
    login(client, people.agent)

    chinese = client.get("/desk/").content.decode()
    english = client.get("/desk/", **ENGLISH).content.decode()

    assert 'name="language" value="en"' in chinese
    assert 'name="language" value="zh-hans"' in english


def switch_form_token(html: str) -> str:
    form = html[html.index('class="lang-switch') :]
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form).group(1)  # type: ignore[union-attr]


@pytest.mark.django_db
def test_choosing_english_makes_the_next_pages_english():
    client = Client(enforce_csrf_checks=True)
    token = switch_form_token(client.get("/accounts/login/").content.decode())

    response = client.post(
        "/i18n/setlang/",
        {"language": "en", "next": "/accounts/login/", "csrfmiddlewaretoken": token},
    )

    assert response.status_code == 302
    assert response.headers["Location"] == "/accounts/login/"
    assert "Sign in to your account" in client.get("/accounts/login/").content.decode()


@pytest.mark.django_db
def test_choosing_chinese_overrides_an_english_browser():
    client = Client(enforce_csrf_checks=True)
    token = switch_form_token(client.get("/accounts/login/", **ENGLISH).content.decode())

    client.post(
        "/i18n/setlang/",
        {"language": "zh-hans", "next": "/accounts/login/", "csrfmiddlewaretoken": token},
        **ENGLISH,
    )

    assert "账号登录" in client.get("/accounts/login/", **ENGLISH).content.decode()


@pytest.mark.django_db
def test_the_switch_refuses_a_post_without_csrf_token():
    client = Client(enforce_csrf_checks=True)

    response = client.post("/i18n/setlang/", {"language": "en", "next": "/accounts/login/"})

    assert response.status_code == 403


def test_widget_follows_the_customers_browser(make_shop, client):
    people = make_shop()

    english = client.get(f"/w/{people.shop.public_key}/", **ENGLISH).content.decode()
    chinese = client.get(f"/w/{people.shop.public_key}/").content.decode()

    assert 'data-lang="en"' in english
    assert "Type your question…" in english
    assert 'data-lang="zh-hans"' in chinese
    assert "请输入您想咨询的问题…" in chinese
